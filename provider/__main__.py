"""Entry point Pulumi runs for the sep-egress component package (see PulumiPlugin.yaml beside it).

``python provider --schema`` prints the inferred package schema without the Pulumi CLI.
"""

from sep_egress.provider import main

if __name__ == "__main__":
    main()

"""Checks of the sep-egress CrossGuard policy pack.

``checks``: plain functions over (resource type token, props, config) returning violation messages; ``suricata``:
the rule parsing they need; ``policies``: the CrossGuard adapters and ``build_policies()``. Only
``build_policies()`` imports ``pulumi_policy``.
"""

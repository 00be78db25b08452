// Compiles the Solidity test contracts in tests/fixtures/contracts/ with solc-js (the npm
// package `solc`, version pinned in package.json) and writes one JSON artifact beside each
// source: {compiler, source, contract, abi, bytecode}. Run through scripts/build-contracts.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const root = path.resolve(__dirname, "..");
const dir = path.join(root, "tests", "fixtures", "contracts");
const sources = fs.readdirSync(dir).filter((f) => f.endsWith(".sol")).sort();

for (const file of sources) {
  const rel = path.relative(root, path.join(dir, file));
  const input = {
    language: "Solidity",
    sources: { [rel]: { content: fs.readFileSync(path.join(dir, file), "utf8") } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) {
    for (const e of errors) console.error(e.formattedMessage);
    process.exit(1);
  }
  const name = path.basename(file, ".sol");
  const compiled = output.contracts[rel][name];
  if (!compiled) {
    console.error(`${rel}: no contract named ${name}`);
    process.exit(1);
  }
  const artifact = {
    compiler: `solc ${solc.version()}`,
    source: rel,
    contract: name,
    abi: compiled.abi,
    bytecode: "0x" + compiled.evm.bytecode.object,
  };
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(artifact, null, 1) + "\n");
  console.log(`${rel} -> ${name}.json`);
}

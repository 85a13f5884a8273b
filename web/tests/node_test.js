// The page's WebAssembly module against the CLI: the same estimates, to the last bit.
// node --no-experimental-fetch node_test.js <llmroof.js> <llmroof CLI> <data dir> [<shared dir>]
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

const [moduleJs, cli, dataDir, sharedDir] = process.argv.slice(2);
const createLlmroof = require(path.resolve(moduleJs));

// (CLI arguments of `llmroof estimate`, the same request as the page sends it)
const cases = [
  [['-m', 'llama-3.1-8b', '-q', 'q4_k_m', '-d', 'm4-pro,rtx-4090'],
   { model: 'llama-3.1-8b', quant: 'q4_k_m', device: ['m4-pro', 'rtx-4090'] }],
  [['-m', 'llama-3.1-8b', '-q', 'q4_k_m', '-d', 'nvidia', '-b', '8', '-c', '4096', '-p', '2048'],
   { model: 'llama-3.1-8b', quant: 'q4_k_m', device: 'nvidia', batch: 8, context: 4096, prompt: 2048 }],
  [['-m', '70b', '-q', 'int4', '-d', 'apple', '-n', '256'],
   { model: '70b', quant: 'int4', device: ['apple'], generate: 256 }],
  [['-m', 'qwen3-30b-a3b', '-d', 'rtx-3090,m4-max,ryzen-ai-max-395', '--kv-quant', 'q8_0'],
   { model: 'qwen3-30b-a3b', device: ['rtx-3090', 'm4-max', 'ryzen-ai-max-395'], kv_quant: 'q8_0' }],
  [['-m', 'llama-3.1-70b', '-q', 'q4_k_m', '-d', 'rtx-3090,rtx-3090', '--split', 'tensor'],
   { model: 'llama-3.1-70b', quant: 'q4_k_m', device: ['rtx-3090', 'rtx-3090'], split: 'tensor' }],
  [['-m', 'llama-3.1-70b', '-q', 'q4_k_m', '-d', 'rtx-4090', '--gpu-layers', 'auto'],
   { model: 'llama-3.1-70b', quant: 'q4_k_m', device: 'rtx-4090', gpu_layers: 'auto' }],
  [['-m', 'llama-3.1-70b', '-q', 'q4_0', '-d', 'w7900', '--draft', 'llama-3.1-8b', '--acceptance', '0.78'],
   { model: 'llama-3.1-70b', quant: 'q4_0', device: 'w7900', draft: 'llama-3.1-8b', acceptance: 0.78 }],
  [['-m', '7b', '-q', 'int4', '-d', 'm4-10c', '--bandwidth', '120', '--tflops', '38', '--ideal'],
   { model: '7b', quant: 'int4', device: 'm4-10c', bandwidth: 120, tflops: 38, ideal: true }],
];

function cliJson(args) {
  return JSON.parse(execFileSync(cli, [...args, '--format', 'json', '--data-dir', dataDir]));
}

// The CLI names a request field by its flag ({split_ratio} -> --split-ratio).
const asFlags = (text) => text.replace(/\{([a-z0-9_]+)\}/g, (_, id) => '--' + id.replace(/_/g, '-'));
function withFlags(doc) {
  doc.meta.notes = doc.meta.notes.map(asFlags);
  doc.meta.warnings = doc.meta.warnings.map(asFlags);
  return doc;
}

createLlmroof().then((core) => {
  const call = (name, types, args) => JSON.parse(core.ccall(name, 'string', types, args));
  const estimate = (request, files) =>
    call('llmroof_estimate', ['string', 'number'], [JSON.stringify(request), files ? 1 : 0]);
  let checked = 0;

  for (const [args, request] of cases) {
    const web = estimate(request, false);
    assert.ok(!web.error, `${args.join(' ')}: ${JSON.stringify(web.error)}`);
    assert.deepStrictEqual(withFlags(web), cliJson(['estimate', ...args]), args.join(' '));
    checked++;
  }

  assert.deepStrictEqual(call('llmroof_models', ['string'], ['qwen']), cliJson(['models', 'qwen']));
  assert.deepStrictEqual(withFlags(call('llmroof_quants', ['string'], ['llama-3.1-8b'])),
                         cliJson(['quants', '--model', 'llama-3.1-8b']));
  checked += 2;

  // Errors: the CLI's message, with the field and the suggestions as data.
  const bad = estimate({ model: 'llama-3.1-8b', device: ['rtx-4090', 'm4-prox'] }, false);
  assert.strictEqual(bad.error.kind, 'request');
  assert.strictEqual(bad.error.field, 'device');
  assert.strictEqual(bad.error.suggestions[0], 'm4-pro');
  const run = spawnSync(cli, ['estimate', '-m', 'llama-3.1-8b', '-d', 'rtx-4090,m4-prox',
                              '--data-dir', dataDir], { encoding: 'utf8' });
  assert.strictEqual(run.status, 2);
  assert.strictEqual(run.stderr, `llmroof: error: ${asFlags(bad.error.message)}\n`);
  const batch = estimate({ model: '7b', device: 'rtx-4090', batch: 0 }, false);
  assert.deepStrictEqual([batch.error.field, batch.error.message],
                         ['batch', '{batch} must be a whole number from 1 to 1048576, got 0']);
  checked += 2;

  // A model file, handed over as its first bytes: the reader asks for more until it has the
  // header, and the estimate equals the CLI's on the file itself.
  const gguf = sharedDir && path.join(sharedDir, 'fixtures', 'gguf', 'tiny-random-llama.gguf');
  if (gguf && fs.existsSync(gguf)) {
    const bytes = fs.readFileSync(gguf);
    let prefix = 64;
    let asks = 0;
    let inspect;
    for (;;) {
      const ptr = core._malloc(prefix);
      core.HEAPU8.set(bytes.subarray(0, prefix), ptr);
      core.ccall('llmroof_set_model_file', null, ['string', 'number', 'number', 'number'],
                 [gguf, ptr, prefix, bytes.length]);
      core._free(ptr);
      inspect = call('llmroof_inspect', [], []);
      if (!inspect.error || inspect.error.kind !== 'need_bytes') break;
      assert.ok(inspect.error.bytes > prefix);
      prefix = Math.min(bytes.length, Math.max(inspect.error.bytes, 2 * prefix));
      asks++;
    }
    assert.ok(!inspect.error, JSON.stringify(inspect.error));
    assert.ok(asks >= 1, 'a 64-byte prefix holds no GGUF header');
    assert.deepStrictEqual(withFlags(inspect), cliJson(['inspect', gguf]));
    const web = estimate({ model: gguf, device: ['rtx-4090', 'm4-pro'] }, true);
    assert.deepStrictEqual(withFlags(web), cliJson(['estimate', '-m', gguf, '-d', 'rtx-4090,m4-pro']));
    console.log(`model file: header read in ${prefix} of ${bytes.length} bytes after ${asks} asks`);
    checked += 2;
  } else {
    console.log('model file case skipped: the shared fixtures are absent');
  }
  console.log(`web.node: ${checked} checks equal the CLI`);
}).catch((e) => {
  console.error(e);
  process.exit(1);
});

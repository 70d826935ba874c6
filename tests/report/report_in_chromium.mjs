// The HTML report, checked in a real browser: `convopt optimize --html` on the
// bundled demo model and `inspect A B --html` on a structured shared model are
// opened in headless Chromium (Debian chromium, driven by playwright-core), and
// the DOM must show what the models hold: every node drawn, exactly the nodes
// the rewrites changed highlighted, a click on one naming its rewrite and
// legality reason, one table row per conv, sorting that sorts, the measured
// time bars of `bench --profile --json`, and no script error in the console.
//
//   node tests/report/report_in_chromium.mjs CONVOPT SOURCE_DIR SHARED_MODELS [SCREENSHOT.png]
//
// Exit 0 pass, 1 fail, 77 skipped (chromium, dot or playwright-core missing).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [convopt, sourceDir, sharedModels, screenshot] = process.argv.slice(2);
const chromiumPath = '/usr/bin/chromium';

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

function loadPlaywright() {
  try {
    return createRequire(path.join(sourceDir, 'third_party_npm', 'package.json'))('playwright-core');
  } catch (e) {
    skip(`playwright-core is not installed (scripts/install-deps.sh): ${e.message}`);
  }
}

if (!existsSync(chromiumPath)) skip('Debian chromium is not installed (scripts/install-deps.sh)');
try {
  execFileSync('dot', ['-V'], { stdio: 'ignore' });
} catch {
  skip('Graphviz dot is not installed (scripts/install-deps.sh)');
}
const { chromium } = loadPlaywright();
const work = mkdtempSync(path.join(tmpdir(), 'convopt-report-'));
const run = (...args) => execFileSync(convopt, args, { encoding: 'utf8', cwd: work });  // files named as given
const json = (...args) => JSON.parse(run(...args));

// What the page must show, from the CLI's own JSON.
function nodeCount(model) {
  return Object.values(json('inspect', model, '--json').op_histogram).reduce((a, b) => a + b, 0);
}
function expectedMarks(before, after) {
  const diff = json('inspect', before, '--diff', after, '--json');
  return { before: diff.removed.length + diff.changed.length, after: diff.added.length + diff.changed.length, diff };
}

async function openReport(browser, file) {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1200 } });
  const errors = [];
  page.on('console', message => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', error => errors.push(String(error)));
  const blocked = [];  // a self-contained page fetches nothing
  await page.route(url => !url.href.startsWith('file:'), route => { blocked.push(route.request().url()); route.abort(); });
  await page.goto('file://' + file);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  return { page, errors, blocked };
}

async function checkCommon({ page, errors, blocked }, before, after) {
  assert.equal(await page.locator('#graph-before g.node.op').count(), nodeCount(before), 'every node before drawn');
  if (after) assert.equal(await page.locator('#graph-after g.node.op').count(), nodeCount(after), 'every node after drawn');
  const marks = after ? expectedMarks(before, after) : { before: 0, after: 0 };
  assert.equal(await page.locator('#graph-before g.node.changed, #graph-before g.node.removed').count(), marks.before);
  assert.equal(await page.locator('#graph-after g.node.changed, #graph-after g.node.added').count(), marks.after);
  assert.equal(await page.getAttribute('body', 'data-script-errors'), '0');
  assert.deepEqual(errors, [], 'console errors');
  assert.deepEqual(blocked, [], 'requests for anything outside the file');
  return marks;
}

async function optimizeReport(browser) {
  copyFileSync(path.join(sourceDir, 'models', 'demo.onnx'), path.join(work, 'demo.onnx'));
  const [model, optimized, html, reportJson, profile] =
      ['demo.onnx', 'demo_optimized.onnx', 'demo.html', 'demo.json', 'profile.json'].map(f => path.join(work, f));
  run('optimize', 'demo.onnx', '-o', 'demo_optimized.onnx', '--report', 'demo.json');
  execFileSync('bash', ['-c', `"${convopt}" bench demo_optimized.onnx --threads 1 --runs 5 --profile --json > profile.json`],
               { cwd: work });
  run('optimize', 'demo.onnx', '-o', 'demo_optimized.onnx', '--html', 'demo.html', '--profile-json', 'profile.json');
  const rewrites = JSON.parse(readFileSync(reportJson, 'utf8')).rewrites;
  assert.ok(rewrites.length >= 4, 'the demo model has one rewrite of each kind');

  const opened = await openReport(browser, html);
  const { page } = opened;
  const marks = await checkCommon(opened, model, optimized);
  assert.ok(marks.after > 0);
  // Every rewrite's node is highlighted after, and a click on it names the rewrite and its legality reason.
  for (const rewrite of rewrites) {
    const group = page.locator('#graph-after g.node.op', { hasText: rewrite.node }).first();
    assert.match(await group.getAttribute('class'), /changed|added/, `${rewrite.node} highlighted`);
    await group.click();
    const details = await page.textContent('#details');
    assert.ok(details.includes(`rewrite: ${rewrite.pass} — ${rewrite.description}`), details);
    assert.ok(details.includes(`params ${rewrite.before.params} → ${rewrite.after.params}`), details);
    assert.match(await group.getAttribute('class'), /selected/);
  }
  // One row per conv before plus each conv only the optimized model has; rewritten rows marked.
  const convs = model => json('inspect', model, '--json').convs.map(c => c.name);
  const before = convs(model), onlyAfter = convs(optimized).filter(name => !before.includes(name));
  assert.equal(await page.locator('#convs tbody tr').count(), before.length + onlyAfter.length);
  assert.equal(await page.locator('#convs tbody tr.rewritten').count(), rewrites.length + 1,
               'each rewrite, and the new conv of the separable one');
  // Sorting by the params column orders the rows.
  await page.click('#convs th:nth-child(4)');
  const params = await page.$$eval('#convs tbody tr td:nth-child(4)', cells => cells.map(c => parseFloat(c.textContent)));
  assert.deepEqual(params, [...params].sort((a, b) => b - a), 'sorted by params, largest first');
  // The measured bars: one per profile category.
  const categories = JSON.parse(readFileSync(profile, 'utf8')).profile.categories;
  assert.equal(await page.locator('.bars .bar:not(.total)').count(), categories.length);
  assert.ok((await page.textContent('.bars')).length > 0);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
}

async function inspectDiffReport(browser) {
  const model = path.join(sharedModels, 'regnet_x_400mf_lite_dense', 'model.onnx');
  if (!existsSync(model)) return console.log('inspect A B --html: shared model missing, not checked');
  const optimized = path.join(work, 'regnet.onnx');
  const html = path.join(work, 'regnet.html');
  run('optimize', model, '-o', optimized);
  run('inspect', model, optimized, '--html', html);
  const opened = await openReport(browser, html);
  const marks = await checkCommon(opened, model, optimized);
  assert.ok(marks.diff.changed.length >= 6, 'the six block-diagonal convs changed');
  await opened.page.screenshot({ path: path.join(work, 'regnet.png') });
  await opened.page.close();
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  await optimizeReport(browser);
  await inspectDiffReport(browser);
  console.log('report_in_chromium: both reports check out');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}

// Measures the chat's first view for an account with 1,000 conversations (groups made over
// REST) whose newest conversation holds 10,000 messages: time from navigation to the first
// message shown, the gzip size of the JS and CSS of that first load, and how the virtualized
// list behaves while paging up through history (rows in the DOM, scroll position kept).
import { gzipSync } from 'node:zlib';
import { test, expect } from '@playwright/test';
import { TidingsServer } from '../server';
import { registerUser, signIn, uniqueName } from '../helpers';
import { restCall, restLogin } from '../chat-helpers';

const CONVERSATIONS = Number(process.env.PERF_CONVERSATIONS ?? 1_000);
const MESSAGES = Number(process.env.PERF_MESSAGES ?? 10_000);
const server = new TidingsServer();
test.beforeAll(async () =>
  server.start({ TIDINGS_LIMITS__SEND_BURST: '1000000', TIDINGS_LIMITS__SEND_PER_SEC: '1000000' }),
);
test.afterAll(async () => server.dispose());

/** Runs `jobs` with at most `width` at a time. */
async function pool<T>(count: number, width: number, job: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

test('first view with 1,000 conversations and 10,000 messages', async ({ page }) => {
  const name = uniqueName('perf');
  await registerUser(server.url, name);
  const token = await restLogin(server.url, name);
  let t0 = Date.now();
  const convs: string[] = [];
  await pool(CONVERSATIONS, 8, async (i) => {
    const group = await restCall<{ group_id: string }>(server.url, token, 'POST', '/api/v1/groups', { name: `group ${i}`, members: [] });
    convs[i] = `g:${group.group_id}`;
  });
  const big = convs[CONVERSATIONS - 1];
  console.log(`setup: ${CONVERSATIONS} conversations in ${Date.now() - t0} ms`);
  t0 = Date.now();
  await pool(MESSAGES, 16, async (i) => {
    await restCall(server.url, token, 'POST', `/api/v1/conversations/${encodeURIComponent(big)}/messages`, {
      client_msg_id: `perf-${i}`,
      kind: 'text',
      body: { text: `message number ${i}` },
    });
  });
  // The newest activity must be the big conversation: one more message after the pool.
  await restCall(server.url, token, 'POST', `/api/v1/conversations/${encodeURIComponent(big)}/messages`, {
    client_msg_id: 'perf-last',
    kind: 'text',
    body: { text: 'the last message' },
  });
  console.log(`setup: ${MESSAGES} messages in ${Date.now() - t0} ms`);

  await signIn(page, server.url, name);
  // A fresh navigation (the session is in sessionStorage) straight to the big conversation.
  const assets: { url: string; gzip: number }[] = [];
  page.on('response', async (response) => {
    const type = response.request().resourceType();
    if (type !== 'script' && type !== 'stylesheet') return;
    assets.push({ url: response.url(), gzip: gzipSync(await response.body(), { level: 9 }).length });
  });
  await page.goto('about:blank');
  await page.goto(`${server.url}/#/c/${encodeURIComponent(big)}`);
  const firstMessageMs = await page.waitForFunction(() => (document.querySelector('[data-testid="msg"]') ? performance.now() : 0), null, {
    polling: 'raf',
    timeout: 60_000,
  });
  const firstListMs = await page.evaluate(() => performance.now());
  await expect(page.getByTestId('msg').last()).toContainText('the last message');
  const rows = await page.getByTestId('conv-row').count();
  // The rest of the list follows the first page (`next_before` paging).
  await expect.poll(() => page.getByTestId('conv-row').count(), { timeout: 60_000 }).toBe(CONVERSATIONS);
  const wholeListMs = await page.evaluate(() => performance.now());
  const gzipTotal = assets.reduce((sum, a) => sum + a.gzip, 0);

  // Page up through history: rows in the DOM stay few, and the row being read stays put.
  const list = page.locator('.vlist');
  let maxRows = 0;
  const t1 = Date.now();
  for (let i = 0; i < 30; i++) {
    await list.evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(150);
    maxRows = Math.max(maxRows, await page.getByTestId('msg').count());
    if (process.env.PERF_DEBUG) console.log(await list.evaluate((el) => `${el.scrollTop}/${el.scrollHeight} top=${(el.firstElementChild as HTMLElement).offsetHeight} ` + [...el.querySelectorAll('[data-testid="msg"]')].map((m) => `${m.getAttribute('data-seq')}@${(m as HTMLElement).offsetTop}`).slice(0, 6).join(',')));
  }
  const lowest = await page.getByTestId('msg').first().getAttribute('data-seq');
  const pagingMs = Date.now() - t1;

  console.log('---- first view ----');
  console.log(`time to first message view: ${(await firstMessageMs.jsonValue()).toFixed(0)} ms after navigation start`);
  console.log(`(checked at ${firstListMs.toFixed(0)} ms); conversation rows shown then: ${rows}; all ${CONVERSATIONS} by ${wholeListMs.toFixed(0)} ms`);
  for (const a of assets) console.log(`  ${a.url.replace(server.url, '')}: ${a.gzip} B gzip`);
  console.log(`first-load JS+CSS: ${(gzipTotal / 1024).toFixed(1)} KB gzip (${assets.length} files)`);
  console.log(`history paging: 30 scrolls to the top in ${pagingMs} ms, lowest seq loaded ${lowest}, at most ${maxRows} message rows in the DOM`);
  expect(maxRows).toBeLessThan(200);
});

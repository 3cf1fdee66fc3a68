// The server restarts mid-conversation: both people see the reconnecting state, a message typed
// while the server is down is sent once it is back, and afterwards each side shows every message
// exactly once, in order, with nothing stuck "sending".
import { test, expect, type Browser } from '@playwright/test';
import { TidingsServer } from './server';
import { befriend, directConv, shownTexts, signedInPerson, typeAndSend } from './chat-helpers';

const server = new TidingsServer();
test.beforeAll(async () => server.start());
test.afterAll(async () => server.dispose());

const person = (browser: Browser, prefix: string) => signedInPerson(browser, server.url, prefix, { width: 1000, height: 760 });

test('a restart mid-conversation loses nothing and doubles nothing', async ({ browser }) => {
  test.setTimeout(120_000);
  const alice = await person(browser, 'alice');
  const bob = await person(browser, 'bob');
  await befriend(server.url, alice, bob);
  const conv = directConv(alice.id, bob.id);
  await alice.page.goto(`${server.url}/#/c/${encodeURIComponent(conv)}`);
  await bob.page.goto(`${server.url}/#/c/${encodeURIComponent(conv)}`);
  for (const p of [alice, bob]) await expect(p.page.getByTestId('conn-state')).toHaveAttribute('data-state', 'online');

  await typeAndSend(alice.page, 'one from alice');
  await expect(bob.page.getByTestId('msg').filter({ hasText: 'one from alice' })).toHaveCount(1);
  await typeAndSend(bob.page, 'two from bob');
  await expect(alice.page.getByTestId('msg').filter({ hasText: 'two from bob' })).toHaveCount(1);

  // A send racing the shutdown, then the server goes away.
  await typeAndSend(alice.page, 'three racing the stop');
  await server.stop();
  for (const p of [alice, bob]) {
    await expect(p.page.getByTestId('conn-state')).not.toHaveAttribute('data-state', 'online');
    await expect(p.page.getByTestId('conn-state')).toHaveText(/Reconnecting|Connecting/);
  }

  // Typed while the server is down: shown at once as sending.
  await typeAndSend(alice.page, 'four typed while down');
  await expect(alice.page.getByTestId('msg').filter({ hasText: 'four typed while down' })).toHaveAttribute('data-state', 'sending');

  await server.start();
  for (const p of [alice, bob]) {
    await expect(p.page.getByTestId('conn-state')).toHaveAttribute('data-state', 'online', { timeout: 40_000 });
  }
  await expect(bob.page.getByTestId('msg').filter({ hasText: 'four typed while down' })).toHaveCount(1, { timeout: 20_000 });
  await typeAndSend(bob.page, 'five after the restart');

  const expected = ['one from alice', 'two from bob', 'three racing the stop', 'four typed while down', 'five after the restart'];
  for (const p of [alice, bob]) {
    await expect.poll(() => shownTexts(p.page), { timeout: 20_000 }).toEqual(expected);
    await expect(p.page.locator('[data-testid="msg"][data-state="sending"]')).toHaveCount(0);
    await expect(p.page.locator('[data-testid="msg"][data-state="failed"]')).toHaveCount(0);
    const seqs = await p.page.getByTestId('msg').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(expected.length);
  }
  // And the same after a reload (what the server stored, read fresh).
  await alice.page.reload();
  await expect.poll(() => shownTexts(alice.page), { timeout: 20_000 }).toEqual(expected);
});

// The outbox under refusals, in a real browser: sends past the per-user rate limit are retried
// (after the server's retry_after_ms) until each is stored exactly once, in the order typed; a
// send the content rules refuse is shown as not sent, with the reason, and can be discarded,
// leaving nothing on the server.
import { test, expect, type Browser } from '@playwright/test';
import { ADMIN, TidingsServer } from './server';
import { befriend, directConv, restCall, restLogin, shownTexts, signedInPerson, typeAndSend } from './chat-helpers';

const server = new TidingsServer();
// A burst of two sends, then one a second: six typed at once must mostly wait.
test.beforeAll(async () => server.start({ TIDINGS_LIMITS__SEND_BURST: '2', TIDINGS_LIMITS__SEND_PER_SEC: '1' }));
test.afterAll(async () => server.dispose());

const person = (browser: Browser, prefix: string) => signedInPerson(browser, server.url, prefix, { width: 1000, height: 760 });

/** The texts of the conversation as the server stores them, in seq order. */
async function storedTexts(token: string, conv: string): Promise<string[]> {
  const page = await restCall<{ messages: { kind: string; body: { text?: string } }[] }>(
    server.url, token, 'GET', `/api/v1/conversations/${encodeURIComponent(conv)}/messages?limit=200`,
  );
  return page.messages.filter((m) => m.kind === 'text').map((m) => m.body.text ?? '');
}

test('sends past the rate limit are retried until each is stored once, in order', async ({ browser }) => {
  const alice = await person(browser, 'alice');
  const bob = await person(browser, 'bob');
  await befriend(server.url, alice, bob);
  const conv = directConv(alice.id, bob.id);
  await alice.page.goto(`${server.url}/#/c/${encodeURIComponent(conv)}`);
  await expect(alice.page.getByTestId('conn-state')).toHaveAttribute('data-state', 'online');

  const typed = Array.from({ length: 6 }, (_, i) => `burst ${i + 1}`);
  for (const text of typed) await typeAndSend(alice.page, text);
  // Some had to wait (the budget is two at once), none gave up.
  await expect(alice.page.locator('[data-testid="msg"][data-state="failed"]')).toHaveCount(0);
  await expect
    .poll(() => alice.page.locator('[data-testid="msg"][data-state="sent"]').count(), { timeout: 30_000 })
    .toBe(typed.length);
  expect(await storedTexts(alice.token, conv)).toEqual(typed);
  expect(await shownTexts(alice.page)).toEqual(typed);
  await bob.page.goto(`${server.url}/#/c/${encodeURIComponent(conv)}`);
  await expect.poll(() => shownTexts(bob.page), { timeout: 20_000 }).toEqual(typed);
});

test('a send the content rules refuse is shown as not sent and can be discarded', async ({ browser }) => {
  const admin = await restLogin(server.url, ADMIN.username, ADMIN.password);
  await restCall(server.url, admin, 'POST', '/admin/v1/filters', { name: 'blocked words', action: 'reject', words: ['zorblax'] });
  const alice = await person(browser, 'carol');
  const bob = await person(browser, 'dave');
  await befriend(server.url, alice, bob);
  const conv = directConv(alice.id, bob.id);
  await alice.page.goto(`${server.url}/#/c/${encodeURIComponent(conv)}`);
  await expect(alice.page.getByTestId('conn-state')).toHaveAttribute('data-state', 'online');
  // Word lists reach the send path within a second of the change.
  await alice.page.waitForTimeout(1_200);

  await typeAndSend(alice.page, 'fine words');
  await typeAndSend(alice.page, 'this says zorblax');
  const refused = alice.page.getByTestId('msg').filter({ hasText: 'this says zorblax' });
  await expect(refused).toHaveAttribute('data-state', 'failed');
  await expect(refused.getByRole('alert')).toContainText('Not sent');
  await expect(alice.page.getByTestId('msg').filter({ hasText: 'fine words' })).toHaveAttribute('data-state', 'sent');

  await refused.getByRole('button', { name: 'Discard' }).click();
  await expect(refused).toHaveCount(0);
  expect(await storedTexts(alice.token, conv)).toEqual(['fine words']);
});

// The chat between two people in two browser contexts: a message typed by one appears at the
// other, who reads it, and the sender then sees "Read"; an image sent by one shows its thumbnail
// (fetched with the token, shown through a blob: URL) at the other; a recall reaches both.
import { test, expect, type Browser } from '@playwright/test';
import { TidingsServer } from './server';
import { befriend, directConv, makePng, restCall, signedInPerson, typeAndSend } from './chat-helpers';

const server = new TidingsServer();
test.beforeAll(async () => server.start());
test.afterAll(async () => server.dispose());

const person = (browser: Browser, prefix: string) => signedInPerson(browser, server.url, prefix);

test('two people chat: text, read receipt, image thumbnail, recall', async ({ browser }) => {
  const alice = await person(browser, 'alice');
  const bob = await person(browser, 'bob');
  await befriend(server.url, alice, bob);
  const conv = directConv(alice.id, bob.id);

  // Alice starts the chat by her friend's username.
  await expect(alice.page.getByTestId('conn-state')).toHaveAttribute('data-state', 'online');
  await alice.page.getByTestId('new-chat').click();
  await alice.page.getByTestId('new-chat-input').fill(bob.name);
  await alice.page.getByTestId('new-chat-input').press('Enter');
  await expect(alice.page.getByTestId('conv-title')).toHaveText('bob display');
  await typeAndSend(alice.page, 'hello bob, line one');

  const sent = alice.page.getByTestId('msg').filter({ hasText: 'hello bob, line one' });
  await expect(sent).toHaveAttribute('data-state', 'sent');
  await expect(sent).toHaveAttribute('data-seq', /^\d+$/);

  // Bob sees the conversation with an unread badge, opens it, sees the message.
  const row = bob.page.locator(`[data-testid="conv-row"][data-conv="${conv}"]`);
  await expect(row).toContainText('alice display');
  await expect(row.getByTestId('unread')).toHaveText('1');
  await row.click();
  await expect(bob.page.getByTestId('msg').filter({ hasText: 'hello bob, line one' })).toHaveCount(1);
  await expect(row.getByTestId('unread')).toHaveCount(0);

  // Alice sees that Bob read it.
  await expect(sent.getByTestId('receipt')).toHaveText('Read');

  // Bob answers with Shift+Enter making a second line, and types (Alice sees the typing line).
  const composer = bob.page.getByLabel(/^Message$/);
  await composer.pressSequentially('two');
  await expect(alice.page.getByTestId('typing')).toHaveText('bob display is typing…');
  await composer.press('Shift+Enter');
  await composer.pressSequentially('lines');
  await composer.press('Enter');
  await expect(alice.page.getByTestId('msg').filter({ hasText: 'two' }).locator('.text')).toHaveText('two\nlines');

  // An image from Alice shows its thumbnail at Bob's, through a blob: URL, and opens big.
  await alice.page.getByTestId('attach-input').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: makePng() });
  const thumb = bob.page.getByTestId('thumb');
  await expect(thumb).toBeVisible();
  await expect(thumb).toHaveAttribute('src', /^blob:/);
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(alice.page.getByTestId('thumb')).toBeVisible();
  await thumb.click();
  await expect(bob.page.getByTestId('preview').locator('img')).toHaveAttribute('src', /^blob:/);
  await bob.page.keyboard.press('Escape');
  await expect(bob.page.getByTestId('preview')).toHaveCount(0);

  // Both are online: each list row shows the peer's presence dot.
  await expect(alice.page.locator(`[data-testid="conv-row"][data-conv="${conv}"] [data-testid="presence"]`)).toHaveAttribute('data-online', 'true');
  await expect(row.getByTestId('presence')).toHaveAttribute('data-online', 'true');

  // A link to a message (?seq=) scrolls to it and highlights it.
  const seq = await bob.page.getByTestId('msg').filter({ hasText: 'two' }).getAttribute('data-seq');
  await bob.page.goto(`${server.url}/#/c/${encodeURIComponent(conv)}?seq=${seq}`);
  await expect(bob.page.locator(`[data-testid="msg"][data-seq="${seq}"]`)).toHaveClass(/highlight/);

  // Alice recalls her first message; both see it recalled.
  await sent.getByRole('button', { name: 'Message actions' }).click();
  await alice.page.getByTestId('recall').click();
  for (const page of [alice.page, bob.page]) {
    await expect(page.getByTestId('msg').filter({ hasText: 'hello bob, line one' })).toHaveCount(0);
    await expect(page.getByTestId('msg').filter({ hasText: 'Message recalled' })).toHaveCount(1);
  }
});

test('a device logged out remotely is sent to the sign-in page', async ({ browser }) => {
  const carol = await person(browser, 'carol');
  await expect(carol.page.getByTestId('conn-state')).toHaveAttribute('data-state', 'online');
  const { devices } = await restCall<{ devices: { device_id: string; platform: string }[] }>(server.url, carol.token, 'GET', '/api/v1/me/devices');
  const web = devices.find((d) => d.platform === 'web');
  expect(web).toBeDefined();
  await restCall(server.url, carol.token, 'DELETE', `/api/v1/me/devices/${encodeURIComponent(web!.device_id)}`);
  await expect(carol.page.getByRole('heading', { level: 2 })).toHaveText('Sign in');
  await expect(carol.page.getByText('Your session ended. Please sign in again.')).toBeVisible();
});

// The README's pictures of the chat (desktop and phone): two people and a group with a few
// messages and a picture, taken from a real server in Chromium. Not part of the suite; writes
// docs/screenshots/chat.png and chat-phone.png (Chinese and emoji need Debian's fonts-noto-cjk and
// fonts-noto-color-emoji, else they show as boxes):
// WEB_E2E_SERVER_BIN=… WEB_E2E_WEB_DIR=$PWD/dist npx playwright test -c e2e/perf/playwright.perf.config.ts screenshots
import { test, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TidingsServer } from '../server';
import { registerUser, signIn } from '../helpers';
import { befriend, directConv, makePng, restCall, restLogin } from '../chat-helpers';

const OUT = join(import.meta.dirname, '../../../docs/screenshots');
const server = new TidingsServer();
test.beforeAll(async () => server.start());
test.afterAll(async () => server.dispose());

test('screenshots of the chat', async ({ browser }) => {
  mkdirSync(OUT, { recursive: true });
  const people = [
    ['lin', 'Lin Wei'],
    ['maria', 'María García'],
    ['sam', 'Sam Okafor'],
  ] as const;
  const users = [];
  for (const [name, display] of people) {
    const id = await registerUser(server.url, name, 'password-123', display);
    users.push({ name, id, token: await restLogin(server.url, name) });
  }
  const [lin, maria, sam] = users;
  await befriend(server.url, lin, maria);
  await befriend(server.url, lin, sam);
  const group = await restCall<{ group_id: string }>(server.url, lin.token, 'POST', '/api/v1/groups', {
    name: 'Release crew',
    members: [maria.id, sam.id],
  });
  const send = (token: string, conv: string, text: string, n: number) =>
    restCall(server.url, token, 'POST', `/api/v1/conversations/${encodeURIComponent(conv)}/messages`, {
      client_msg_id: `shot-${n}`, kind: 'text', body: { text },
    });
  const groupConv = `g:${group.group_id}`;
  await send(sam.token, groupConv, 'Build 2.4 is green on all platforms.', 1);
  await send(maria.token, groupConv, 'Great! I will write the release notes tonight.', 2);
  const dm = directConv(lin.id, maria.id);
  await send(maria.token, dm, 'Do you have the screenshots for the notes?', 3);
  await send(lin.token, dm, 'Yes, sending the dashboard one now.', 4);
  await send(maria.token, dm, '谢谢！明天上午发布。', 5);

  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const page = await context.newPage();
  await signIn(page, server.url, 'lin');
  await page.locator(`[data-testid="conv-row"][data-conv="${dm}"]`).click();
  await page.getByTestId('attach-input').setInputFiles({ name: 'dashboard.png', mimeType: 'image/png', buffer: makePng(160, 96) });
  await expect(page.getByTestId('thumb')).toBeVisible();
  await page.getByLabel(/^Message$/).fill('Here it is 👆');
  await page.getByLabel(/^Message$/).press('Enter');
  await expect(page.getByTestId('msg').filter({ hasText: 'Here it is' })).toHaveAttribute('data-state', 'sent');
  await page.screenshot({ path: join(OUT, 'chat.png') });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/#/c/${encodeURIComponent(groupConv)}`);
  await expect(page.getByTestId('msg').filter({ hasText: 'release notes' })).toBeVisible();
  await page.screenshot({ path: join(OUT, 'chat-phone.png') });
});

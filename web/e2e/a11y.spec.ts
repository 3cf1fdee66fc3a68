// Accessibility, checked rather than claimed: axe-core (WCAG 2.0/2.1 A and AA rules) on every
// main screen of the app — sign-in and register, the chat with a direct conversation (text and
// an image), the message menu, the Friends, Groups and Search tabs, a group's details, the admin
// dashboard, the Users page and a confirmation dialog — at desktop size, at a phone's 390×844
// (sign-in, chat) and once in zh-CN (chat). A "serious" or "critical" finding fails the test; the
// "moderate"/"minor" ones are printed and counted but do not fail. Then one keyboard-only walk:
// sign in, open a conversation, send a message, open the message menu and close it with Escape.
import { test, expect, type Browser, type Locator, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import type { Result } from 'axe-core';
import { ADMIN, TidingsServer } from './server';
import { registerUser, signIn, uniqueName } from './helpers';
import { befriend, directConv, makePng, restCall, restLogin } from './chat-helpers';

const server = new TidingsServer();

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const DESKTOP = { width: 1100, height: 800 };
const PHONE = { width: 390, height: 844 };

interface Account {
  name: string;
  display: string;
  id: string;
  token: string;
}

let alice: Account;
let bob: Account;
let direct: string;
const groupName = 'Reading club';

/** Moderate/minor findings per audited screen, summed up after the run. */
const lesser: { screen: string; rule: string; impact: string; nodes: number; wcag: boolean }[] = [];

async function account(prefix: string, display: string): Promise<Account> {
  const name = uniqueName(prefix);
  const id = await registerUser(server.url, name, 'password-123', display);
  return { name, display, id, token: await restLogin(server.url, name) };
}

/** One violation as readable lines: rule, impact, what it means, and each element's selector. */
function formatViolation(violation: Result): string {
  const targets = violation.nodes.map((n) => `    - ${n.target.join(' ')}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n\s*/g, ' | ')}` : ''}`);
  return `  [${violation.impact}] ${violation.id}: ${violation.help}\n${targets.join('\n')}`;
}

/**
 * Runs axe on what `page` shows now. WCAG A/AA findings of impact serious/critical fail the test
 * (softly, so one run reports every screen); moderate/minor ones, and axe's best-practice rules
 * (not WCAG criteria), are printed and counted without failing.
 */
async function audit(page: Page, screen: string) {
  // Let transitions and lazy panels settle.
  await page.waitForTimeout(150);
  const results = await new AxeBuilder({ page }).withTags([...WCAG_TAGS, 'best-practice']).analyze();
  const isWcag = (v: Result) => v.tags.some((tag) => WCAG_TAGS.includes(tag));
  const blocking = results.violations.filter((v) => isWcag(v) && (v.impact === 'serious' || v.impact === 'critical'));
  const listed = results.violations.filter((v) => !blocking.includes(v));
  for (const v of listed) lesser.push({ screen, rule: v.id, impact: v.impact ?? 'unknown', nodes: v.nodes.length, wcag: isWcag(v) });
  if (listed.length) {
    const lines = listed.map((v) => `${formatViolation(v)}${isWcag(v) ? '' : ' (best practice)'}`);
    console.log(`axe, ${screen}: ${listed.length} not failing\n${lines.join('\n')}`);
  }
  const report = blocking.map(formatViolation).join('\n');
  expect.soft(blocking.length, `axe found serious/critical violations on "${screen}":\n${report}`).toBe(0);
  // The audit must have looked at something: the passes are the proof.
  expect(results.passes.length).toBeGreaterThan(5);
}

async function newPage(browser: Browser, lang: 'en' | 'zh-CN', viewport = DESKTOP, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme });
  await context.addInitScript((l) => localStorage.setItem('tidings.lang', l), lang);
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) throw new Error('CSP violation: ' + msg.text());
  });
  return page;
}

/** Signs `who` in at `viewport` (the top bar's name is hidden on a phone: narrow it after). */
async function signedIn(
  browser: Browser,
  who: { name: string },
  { lang = 'en', viewport = DESKTOP, password = 'password-123', colorScheme = 'light' }: {
    lang?: 'en' | 'zh-CN';
    viewport?: typeof DESKTOP;
    password?: string;
    colorScheme?: 'light' | 'dark';
  } = {},
) {
  const page = await newPage(browser, lang, DESKTOP, colorScheme);
  await signIn(page, server.url, who.name, password);
  if (viewport !== DESKTOP) await page.setViewportSize(viewport);
  return page;
}

async function openDirect(page: Page) {
  await page.goto(`${server.url}/#/c/${encodeURIComponent(direct)}`);
  await expect(page.getByTestId('conv-view')).toHaveAttribute('data-conv', direct);
  await expect(page.getByTestId('thumb')).toBeVisible();
  await expect.poll(() => page.getByTestId('thumb').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
}

test.describe('accessibility', () => {
  test.beforeAll(async () => {
    await server.start();
    alice = await account('alice', 'Alice Liddell');
    bob = await account('bob', 'Bob Builder');
    await befriend(server.url, alice, bob);
    direct = directConv(alice.id, bob.id);
    const made = await restCall<{ conv: string }>(server.url, alice.token, 'POST', '/api/v1/groups', {
      name: groupName,
      members: [bob.id],
    });
    // An unread message in the group: the list shows its badge.
    await restCall(server.url, bob.token, 'POST', `/api/v1/conversations/${encodeURIComponent(made.conv)}/messages`, {
      client_msg_id: 'a11y-group-1',
      kind: 'text',
      body: { text: 'Chapter three for next week' },
    });
    const texts: [Account, string][] = [
      [bob, 'Hi Alice, are we still on for Thursday?'],
      [alice, 'Yes! I will bring the book.'],
      [bob, 'Great, see you there 📚'],
    ];
    let n = 0;
    for (const [who, text] of texts) {
      n += 1;
      await restCall(server.url, who.token, 'POST', `/api/v1/conversations/${encodeURIComponent(direct)}/messages`, {
        client_msg_id: `a11y-seed-${n}`,
        kind: 'text',
        body: { text },
      });
    }
  });
  test.afterAll(async () => {
    const count = (wcag: boolean, impact: string) => lesser.filter((l) => l.wcag === wcag && l.impact === impact).length;
    console.log(
      `axe, not failing: WCAG ${count(true, 'moderate')} moderate, ${count(true, 'minor')} minor; ` +
        `best practice ${count(false, 'critical') + count(false, 'serious')} serious/critical, ${count(false, 'moderate')} moderate, ${count(false, 'minor')} minor`,
    );
    await server.dispose();
  });

  test('sign-in and register pages, desktop and phone', async ({ browser }) => {
    for (const viewport of [DESKTOP, PHONE]) {
      const page = await newPage(browser, 'en', viewport);
      await page.goto(server.url + '/');
      await expect(page.getByRole('heading', { level: 2 })).toHaveText('Sign in');
      await audit(page, `sign-in ${viewport.width}×${viewport.height}`);
      if (viewport === DESKTOP) {
        await page.getByRole('button', { name: 'No account yet? Create one' }).click();
        await expect(page.getByLabel('Display name')).toBeVisible();
        await audit(page, 'register');
      }
      await page.context().close();
    }
  });

  test('the chat: a conversation with an image, the message menu, at desktop, phone and in zh-CN', async ({ browser }) => {
    // An image in the conversation, sent from the page like a person would.
    const page = await signedIn(browser, alice);
    await page.goto(`${server.url}/#/c/${encodeURIComponent(direct)}`);
    await page.getByTestId('attach-input').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: makePng() });
    await openDirect(page);
    await expect(page.getByTestId('msg')).toHaveCount(4);
    await expect(page.getByTestId('unread')).toHaveText('1');
    await audit(page, 'chat, direct conversation');

    const row = page.getByTestId('msg').filter({ hasText: 'see you there' });
    await row.getByRole('button', { name: 'Message actions' }).click();
    await expect(row.getByRole('menu')).toBeVisible();
    await audit(page, 'chat, message menu open');
    await page.context().close();

    const phone = await signedIn(browser, alice, { viewport: PHONE });
    await openDirect(phone);
    await audit(phone, 'chat 390×844');
    await phone.context().close();

    const zh = await signedIn(browser, bob, { lang: 'zh-CN' });
    await openDirect(zh);
    await expect(zh.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await audit(zh, 'chat zh-CN');
    await zh.context().close();

    // The dark palette has its own contrasts.
    const dark = await signedIn(browser, alice, { colorScheme: 'dark' });
    await openDirect(dark);
    await audit(dark, 'chat, dark colour scheme');
    await dark.context().close();
  });

  test('the social tabs: friends, groups with a group open, search', async ({ browser }) => {
    const page = await signedIn(browser, alice);
    await page.getByRole('tab', { name: 'Friends' }).click();
    await expect(page.getByTestId('friends-panel').getByTestId('friend-list')).toContainText(bob.display);
    await audit(page, 'Friends tab');

    await page.getByRole('tab', { name: 'Groups' }).click();
    const groups = page.getByTestId('groups-panel');
    await expect(groups.getByTestId('group-list')).toContainText(groupName);
    await audit(page, 'Groups tab');
    await groups.getByRole('button', { name: `Details of ${groupName}` }).click();
    await expect(groups.getByRole('heading', { name: groupName })).toBeVisible();
    await expect(groups.getByTestId('member-list')).toContainText(bob.display);
    await audit(page, 'group details');

    await page.getByRole('tab', { name: 'Search' }).click();
    const search = page.getByTestId('search-panel');
    await search.getByRole('searchbox', { name: 'Search messages' }).fill('Thursday');
    await expect(search.getByTestId('search-results').getByRole('button').first()).toBeVisible();
    await audit(page, 'Search tab with results');
    await page.context().close();
  });

  test('the admin console: dashboard, users, a confirmation dialog', async ({ browser }) => {
    const page = await signedIn(browser, { name: ADMIN.username }, { password: ADMIN.password });
    await page.getByTestId('nav-admin').click();
    await expect(page.locator('.admin-chart canvas')).toHaveCount(4);
    await expect(page.getByTestId('tile-users-value')).toHaveText(/^\d+$/);
    await audit(page, 'admin dashboard');

    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Users' }).click();
    await expect(page.getByTestId(`user-${alice.name}`)).toBeVisible();
    await audit(page, 'admin users');

    await page.getByTestId(`user-${alice.name}`).getByRole('button', { name: `Disable ${alice.name}` }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await audit(page, 'confirmation dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await page.context().close();
  });

  test('keyboard only: sign in, open a conversation, send, open and close the message menu', async ({ browser }) => {
    const page = await newPage(browser, 'en');
    await page.goto(server.url + '/');
    await expect(page.getByRole('heading', { level: 2 })).toHaveText('Sign in');
    const keys = page.keyboard;

    /** Presses Tab (or Shift+Tab) until `target` has the focus, at most `limit` times. */
    async function tabTo(target: Locator, limit = 40, back = false) {
      for (let i = 0; i < limit; i++) {
        await keys.press(back ? 'Shift+Tab' : 'Tab');
        if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
      }
      throw new Error(`Tab never reached ${target}`);
    }

    await tabTo(page.getByLabel('Username'));
    await keys.type(alice.name);
    await keys.press('Tab');
    await keys.type('password-123');
    await keys.press('Enter');
    await expect(page.getByTestId('me')).toHaveText(alice.display);

    // The direct conversation's row in the list, reached with Tab and opened with Enter.
    const listRow = page.locator(`[data-testid="conv-row"][data-conv="${direct}"]`);
    await expect(listRow).toBeVisible();
    await tabTo(listRow);
    await expect(listRow).toBeFocused();
    await keys.press('Enter');
    await expect(page.getByTestId('conv-view')).toHaveAttribute('data-conv', direct);

    // The composer, typed in and sent with Enter.
    const composer = page.getByLabel(/^Message$/);
    await tabTo(composer);
    await expect(composer).toBeFocused();
    await keys.type('typed with the keyboard only');
    await keys.press('Enter');
    await expect(composer).toHaveValue('');
    const sent = page.getByTestId('msg').filter({ hasText: 'typed with the keyboard only' });
    await expect(sent).toHaveAttribute('data-state', 'sent');

    // Back to the new message's menu button, opened with Enter, closed with Escape.
    const menuButton = sent.getByTestId('msg-menu');
    await tabTo(menuButton, 60, true);
    await expect(menuButton).toBeFocused();
    await keys.press('Enter');
    await expect(sent.getByRole('menu')).toBeVisible();
    await expect(menuButton).toHaveAttribute('aria-expanded', 'true');
    await expect(sent.getByRole('menuitem').first()).toBeFocused();
    await keys.press('ArrowDown');
    await expect(sent.getByRole('menuitem').nth(1)).toBeFocused();
    await keys.press('Escape');
    await expect(sent.getByRole('menu')).toHaveCount(0);
    await expect(menuButton).toBeFocused();
    await expect(menuButton).toHaveAttribute('aria-expanded', 'false');
    await page.context().close();
  });
});

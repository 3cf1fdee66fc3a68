// Message actions between two people in two browser contexts (friends, and in one group made
// over REST): a reply with its quote, an edit with "(edited)" and its history, a reaction turned
// on and off, a pin in the other side's pinned bar, a forward into the group showing its origin,
// a mention picked in the group (the other side's list shows the mention badge) and a thread
// reply in the other side's open thread panel and the root's reply count.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { TidingsServer } from './server';
import { befriend, directConv, restCall, signedInPerson, typeAndSend, type ChatPerson } from './chat-helpers';

const server = new TidingsServer();

type Person = ChatPerson;

const person = (browser: Browser, prefix: string): Promise<Person> => signedInPerson(browser, server.url, prefix);

/** Opens `conv` in the page through its fragment. */
async function openConv(page: Page, conv: string) {
  await page.goto(`${server.url}/#/c/${encodeURIComponent(conv)}`);
  await expect(page.getByTestId('conv-view')).toHaveAttribute('data-conv', conv);
}

/** The row of the message whose text is exactly `text`. */
function message(page: Page, text: string) {
  return page.getByTestId('msg').filter({ has: page.locator('.text', { hasText: new RegExp(`^${text}$`) }) });
}

/** Opens the actions menu of `row` from the keyboard and picks `item` (a test id). */
async function menu(row: ReturnType<typeof message>, item: string, emoji?: string) {
  const button = row.getByTestId('msg-menu').first();
  await button.click();
  const target = emoji ? row.locator(`[data-testid="react"][data-emoji="${emoji}"]`) : row.getByTestId(item);
  await expect(target).toBeVisible();
  await target.click();
}

/** With WEB_E2E_SCREENSHOTS=1, saves what `page` shows to test-results/actions-<name>.png. */
async function snap(page: Page, name: string) {
  if (process.env.WEB_E2E_SCREENSHOTS === '1') await page.screenshot({ path: `test-results/actions-${name}.png` });
}

let alice: Person;
let bob: Person;
let direct: string;
let group: string;

test.describe.serial('message actions', () => {
  test.beforeAll(async ({ browser }) => {
    await server.start();
    alice = await person(browser, 'alice');
    bob = await person(browser, 'bob');
    await befriend(server.url, alice, bob);
    direct = directConv(alice.id, bob.id);
    const made = await restCall<{ conv: string }>(server.url, alice.token, 'POST', '/api/v1/groups', {
      name: 'Actions group',
      members: [bob.id],
    });
    group = made.conv;
    await restCall(server.url, bob.token, 'POST', `/api/v1/conversations/${encodeURIComponent(direct)}/messages`, {
      client_msg_id: 'seed-1',
      kind: 'text',
      body: { text: 'quote me please' },
    });
    await openConv(alice.page, direct);
    await openConv(bob.page, direct);
  });
  test.afterAll(async () => server.dispose());

  test('the menu of a message at the bottom of a full list opens upwards, inside the list', async () => {
    // Enough lines to fill the view, so the newest sits at the bottom edge.
    for (let i = 0; i < 20; i++) {
      await restCall(server.url, bob.token, 'POST', `/api/v1/conversations/${encodeURIComponent(direct)}/messages`, {
        client_msg_id: `fill-${i}`,
        kind: 'text',
        body: { text: `filler line ${i}` },
      });
    }
    const newest = message(alice.page, 'filler line 19');
    await expect(newest).toBeVisible();
    await newest.getByTestId('msg-menu').click();
    const opened = newest.getByRole('menu');
    await expect(opened).toHaveClass(/\bup\b/);
    const menuBox = await opened.boundingBox();
    const listBox = await alice.page.locator('.vlist').first().boundingBox();
    expect(menuBox && listBox && menuBox.y + menuBox.height <= listBox.y + listBox.height + 1).toBe(true);
    await alice.page.keyboard.press('Escape');
    await expect(opened).toHaveCount(0);
    // A message near the top still opens downwards.
    await alice.page.locator('.vlist').first().evaluate((el) => (el.scrollTop = 0));
    const top = message(alice.page, 'quote me please');
    await top.getByTestId('msg-menu').click();
    await expect(top.getByRole('menu')).not.toHaveClass(/\bup\b/);
    await alice.page.keyboard.press('Escape');
  });

  test('reply with a quote, seen by the other side; the quote jumps to the original', async () => {
    const original = message(alice.page, 'quote me please');
    // The menu works from the keyboard: Enter opens it on its first item, arrows move, Escape
    // closes it and gives the focus back.
    const menuButton = original.getByTestId('msg-menu');
    await menuButton.focus();
    await alice.page.keyboard.press('Enter');
    await expect(original.locator('[role=menuitem]').first()).toBeFocused();
    await alice.page.keyboard.press('End');
    await expect(original.getByTestId('forward')).toBeFocused();
    await alice.page.keyboard.press('Escape');
    await expect(original.getByRole('menu')).toHaveCount(0);
    await expect(menuButton).toBeFocused();
    await menu(original, 'reply');
    const banner = alice.page.getByTestId('reply-banner');
    await expect(banner).toHaveText(/Replying to bob display: quote me please/);
    // Escape cancels, from the composer (which took the focus).
    await expect(alice.page.getByLabel(/^Message$/)).toBeFocused();
    await alice.page.keyboard.press('Escape');
    await expect(banner).toHaveCount(0);
    await menu(original, 'reply');
    await typeAndSend(alice.page, 'here is my answer');
    await expect(banner).toHaveCount(0);

    const reply = message(bob.page, 'here is my answer');
    await expect(reply.getByTestId('quote')).toContainText('quote me please');
    await expect(reply.getByTestId('quote')).toContainText('bob display');
    const seq = await message(bob.page, 'quote me please').getAttribute('data-seq');
    await reply.getByTestId('quote').click();
    await expect(bob.page).toHaveURL(new RegExp(`seq=${seq}$`));
    await expect(bob.page.locator(`[data-testid="msg"][data-seq="${seq}"]`)).toHaveClass(/highlight/);
  });

  test('edit seen by the other side with "(edited)", history on click', async () => {
    await menu(message(alice.page, 'here is my answer'), 'edit');
    const editor = alice.page.getByTestId('edit-input');
    await expect(editor).toBeFocused();
    await editor.fill('here is my edited answer');
    await editor.press('Enter');
    await expect(editor).toHaveCount(0);
    const atBob = message(bob.page, 'here is my edited answer');
    await expect(atBob.getByTestId('edited')).toHaveText('(edited)');
    // The reply keeps its quote through the edit.
    await expect(atBob.getByTestId('quote')).toContainText('quote me please');
    await expect(message(bob.page, 'here is my answer')).toHaveCount(0);
    await expect(bob.page.locator(`[data-testid="conv-row"][data-conv="${direct}"] .conv-last`)).toHaveText('here is my edited answer');
    // The sender sees both versions.
    await message(alice.page, 'here is my edited answer').getByTestId('edited').click();
    const history = alice.page.getByTestId('edit-history');
    await expect(history.locator('li')).toHaveCount(2);
    await expect(history.locator('li').first()).toContainText('here is my answer');
    await expect(history.locator('li').last()).toContainText('here is my edited answer');
  });

  test('a reaction turned on and off is seen live by the other side', async () => {
    await menu(message(bob.page, 'here is my edited answer'), 'react', '👍');
    const atAlice = message(alice.page, 'here is my edited answer').locator('[data-testid="reaction"][data-emoji="👍"]');
    await expect(atAlice).toHaveAttribute('data-count', '1');
    await expect(atAlice).toHaveAttribute('data-mine', 'false');
    // Alice adds hers on the chip: two, hers pressed; Bob sees two.
    await atAlice.click();
    await expect(atAlice).toHaveAttribute('data-count', '2');
    await expect(atAlice).toHaveAttribute('aria-pressed', 'true');
    await snap(alice.page, 'reactions');
    const atBob = message(bob.page, 'here is my edited answer').locator('[data-testid="reaction"][data-emoji="👍"]');
    await expect(atBob).toHaveAttribute('data-count', '2');
    // Bob takes his back; then Alice hers: the chip goes at both.
    await atBob.click();
    await expect(atAlice).toHaveAttribute('data-count', '1');
    await expect(atAlice).toHaveAttribute('data-mine', 'true');
    await atAlice.click();
    await expect(atBob).toHaveCount(0);
    await expect(atAlice).toHaveCount(0);
  });

  test('a pin shows in the other side\'s pinned bar, which jumps to it', async () => {
    await bob.page.goto(`${server.url}/#/c/${encodeURIComponent(direct)}`);
    await menu(message(alice.page, 'quote me please'), 'pin');
    const bar = bob.page.getByTestId('pinned-bar');
    await expect(bar.getByTestId('pin-link')).toContainText('quote me please');
    await snap(bob.page, 'pinned');
    const seq = await bar.getByTestId('pin-link').getAttribute('data-seq');
    await bar.getByTestId('pin-link').click();
    await expect(bob.page).toHaveURL(new RegExp(`seq=${seq}$`));
    // The menu now offers unpin at Alice's; unpinning empties Bob's bar.
    await menu(message(alice.page, 'quote me please'), 'unpin');
    await expect(bar).toHaveCount(0);
  });

  test('a mention picked in the group: the other side\'s list shows the mention badge', async () => {
    await openConv(alice.page, group);
    const composer = alice.page.getByLabel(/^Message$/);
    // The owner is offered @all (mention_all); arrows move the choice.
    await composer.pressSequentially('@');
    const options = alice.page.getByTestId('mention-picker').getByTestId('mention-option');
    await expect(options).toHaveText([/@all/, /@bob display/]);
    await expect(options.first()).toHaveAttribute('aria-selected', 'true');
    await composer.press('ArrowDown');
    await expect(options.last()).toHaveAttribute('aria-selected', 'true');
    await composer.fill('');
    await composer.pressSequentially('hello @bo');
    const picker = alice.page.getByTestId('mention-picker');
    await expect(picker.getByTestId('mention-option')).toHaveText([/@bob display/]);
    await composer.press('Escape');
    await expect(picker).toHaveCount(0);
    await composer.pressSequentially('b');
    await expect(picker).toHaveCount(0);
    // Typed again after the `@` is gone, it opens again.
    for (let i = 0; i < 4; i++) await composer.press('Backspace');
    await composer.pressSequentially('@bob');
    await expect(picker.getByTestId('mention-option')).toHaveText([/@bob display/]);
    await snap(alice.page, 'mention-picker');
    await composer.press('Enter');
    await expect(composer).toHaveValue('hello @bob display ');
    await composer.pressSequentially('look at this');
    await composer.press('Enter');
    await expect(composer).toHaveValue('');

    const row = bob.page.locator(`[data-testid="conv-row"][data-conv="${group}"]`);
    await expect(row.getByTestId('mention')).toHaveAttribute('aria-label', '1 mentions of you');
    await row.click();
    const mention = message(bob.page, 'hello @bob display look at this');
    await expect(mention).toHaveClass(/mentions-me/);
    await expect(mention.locator('mark')).toHaveText('@bob display');
    await expect(row.getByTestId('mention')).toHaveCount(0);
    // A plain member of the group is not offered pinning (the default rule: owners and admins).
    await mention.getByTestId('msg-menu').click();
    await expect(mention.getByTestId('thread')).toBeVisible();
    await expect(mention.getByTestId('pin')).toHaveCount(0);
    await bob.page.keyboard.press('Escape');
  });

  test('forward into another conversation arrives there with its origin', async () => {
    await openConv(alice.page, direct);
    await menu(message(alice.page, 'quote me please'), 'forward');
    const dialog = alice.page.getByTestId('forward-dialog');
    await dialog.getByTestId('forward-filter').fill('Actions');
    await expect(dialog.getByTestId('forward-target')).toHaveCount(1);
    await snap(alice.page, 'forward');
    await dialog.getByTestId('forward-target').check();
    await dialog.getByTestId('forward-send').click();
    await expect(dialog).toHaveCount(0);
    const forwarded = bob.page.getByTestId('forwarded');
    await expect(forwarded).toContainText('Forwarded');
    await expect(forwarded.getByTestId('forwarded-from')).toContainText('From bob display');
    await expect(forwarded.locator('.text')).toHaveText('quote me please');
  });

  test('a thread reply appears in the other side\'s thread panel and the root\'s count', async () => {
    await openConv(alice.page, group);
    const rootAtAlice = message(alice.page, 'hello @bob display look at this');
    await menu(rootAtAlice, 'thread');
    const panelAtAlice = alice.page.getByTestId('thread-panel');
    await expect(panelAtAlice.getByTestId('thread-root')).toContainText('hello @bob display look at this');

    await menu(message(bob.page, 'hello @bob display look at this'), 'thread');
    const panelAtBob = bob.page.getByTestId('thread-panel');
    const threadComposer = panelAtBob.getByTestId('thread-composer');
    await threadComposer.fill('an answer in the thread');
    await threadComposer.press('Enter');

    await expect(panelAtAlice.locator('.thread-replies').getByText('an answer in the thread')).toBeVisible();
    await expect(panelAtAlice.getByTestId('thread-panel-count')).toHaveText('1 reply');
    await expect(rootAtAlice.getByTestId('thread-count')).toHaveText('1 reply');
    await snap(alice.page, 'thread');
    // Replies are messages of the conversation's log: the main timeline shows it too, marked.
    await expect(message(alice.page, 'an answer in the thread').filter({ has: alice.page.getByTestId('in-thread') })).toHaveCount(1);
    // Escape closes the panel.
    await panelAtAlice.getByTestId('thread-close').focus();
    await alice.page.keyboard.press('Escape');
    await expect(panelAtAlice).toHaveCount(0);

    // On a phone the thread takes the whole screen.
    await alice.page.setViewportSize({ width: 390, height: 844 });
    await rootAtAlice.getByTestId('thread-count').click();
    await expect(panelAtAlice).toBeVisible();
    const box = await panelAtAlice.boundingBox();
    expect(box?.width).toBe(390);
    expect(box?.height).toBe(844);
    await snap(alice.page, 'thread-phone');
    await panelAtAlice.getByTestId('thread-close').click();
    await alice.page.setViewportSize({ width: 1100, height: 800 });
  });

  test('a reply in a thread I follow shows on my list row until I read the thread', async () => {
    const panelAtBob = bob.page.getByTestId('thread-panel');
    const threadComposer = panelAtBob.getByTestId('thread-composer');
    await threadComposer.fill('a second answer');
    await threadComposer.press('Enter');
    await expect(panelAtBob.locator('.thread-replies').getByText('a second answer')).toBeVisible();

    // Alice (the root's author, so a follower) is elsewhere: a fresh list shows the thread badge.
    await alice.page.goto(`${server.url}/#/`);
    await alice.page.reload();
    const row = alice.page.locator(`[data-testid="conv-row"][data-conv="${group}"]`);
    await expect(row.getByTestId('threads')).toContainText('1');
    // Reading the thread clears it, through the server's thread_read push.
    await openConv(alice.page, group);
    await message(alice.page, 'hello @bob display look at this').getByTestId('thread-count').click();
    await expect(alice.page.getByTestId('thread-panel').locator('.thread-replies').getByText('a second answer')).toBeVisible();
    await expect(row.getByTestId('threads')).toHaveCount(0);
  });
});

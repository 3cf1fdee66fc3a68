"""The Tidings SDK through its generated Python bindings (ctypes), against a live server.

Run by bindings/tests/python.rs, which generates the `tidings` module (the client, its
listener and errors) and the `tidings_sdk` module it imports (the SDK's records and events) into
PYTHONPATH and starts the server(s). Environment: TIDINGS_SERVER_A and TIDINGS_SERVER_B (base
URLs; the same server in embedded mode, two instances in cluster mode) and TIDINGS_DATA (a
scratch directory). Only the standard library is used; every wait is bounded.
"""

import asyncio
import json
import os
import sys
import time
import uuid

import tidings as t
import tidings_sdk as sdk

SERVER_A = os.environ["TIDINGS_SERVER_A"]
SERVER_B = os.environ["TIDINGS_SERVER_B"]
DATA = os.environ["TIDINGS_DATA"]
PASSWORD = "correct-horse-py"
WAIT = 20.0  # seconds, longest wait for any one expected event


def step(name):
    print(f"ok: {name}", flush=True)


class Recorder(t.EventListener):
    """Hands events from the SDK's dispatcher thread to the asyncio loop, in order."""

    def __init__(self, loop):
        self.loop = loop
        self.queue = asyncio.Queue()
        self.pending = []  # received, not yet claimed by a wait
        self.count = 0

    def on_event(self, event):
        self.count += 1
        self.loop.call_soon_threadsafe(self.queue.put_nowait, event)

    async def wait(self, what, match):
        """Claims the first unclaimed event for which match(event) holds; fails after WAIT."""
        deadline = self.loop.time() + WAIT
        while True:
            for i, event in enumerate(self.pending):
                if match(event):
                    return self.pending.pop(i)
            left = deadline - self.loop.time()
            if left <= 0:
                raise AssertionError(f"no {what} within {WAIT}s; unclaimed: {self.pending}")
            try:
                self.pending.append(await asyncio.wait_for(self.queue.get(), left))
            except asyncio.TimeoutError:
                raise AssertionError(f"no {what} within {WAIT}s; unclaimed: {self.pending}") from None


class App:
    """One user's client with its recorder."""

    def __init__(self, client, recorder, subscription):
        self.client = client
        self.events = recorder
        self.subscription = subscription

    @classmethod
    async def start(cls, name, server, loop, discovery=False):
        # Discovery off unless asked for: alice and bob stay on their instances (two in cluster
        # mode), wherever discovery would send their devices.
        config = t.default_config([server], os.path.join(DATA, name), f"py-{name}", "desktop")
        config.discovery = discovery
        config.heartbeat_secs = 2
        config.ack_timeout_ms = 3000
        config.backoff_initial_ms = 50
        config.backoff_max_ms = 500
        config.request_timeout_ms = 5000
        client = await t.TidingsClient.create(config)
        recorder = Recorder(loop)
        return cls(client, recorder, client.add_listener(recorder))

    async def connected(self):
        return await self.events.wait(
            "connected",
            lambda e: isinstance(e, sdk.ClientEvent.CONNECTION)
            and isinstance(e.state, sdk.ConnectionState.CONNECTED),
        )


async def story():
    loop = asyncio.get_running_loop()
    tag = uuid.uuid4().hex[:10]

    # Record defaults in the generated code are the SDK's.
    built = sdk.ClientConfig(servers=[SERVER_A], data_dir="/d", device_id="dev", platform="desktop")
    assert built == t.default_config([SERVER_A], "/d", "dev", "desktop"), built
    assert built.discovery is True and built.zone is None, built
    step("config defaults")

    # Bad input: a refused config is an InvalidInput error, not a crash.
    try:
        await t.TidingsClient.create(t.default_config([], os.path.join(DATA, "bad"), "dev", "desktop"))
        raise AssertionError("an empty server list was accepted")
    except t.TidingsError.InvalidInput as e:
        assert "server" in e.detail, e.detail
    step("bad config refused")

    alice = await App.start("alice", SERVER_A, loop)
    bob = await App.start("bob", SERVER_B, loop)
    assert alice.client.user_id() is None

    # Register + login.
    alice_id = await alice.client.register(f"a{tag}", PASSWORD, "Alice")
    bob_id = await bob.client.register(f"b{tag}", PASSWORD, None)
    try:
        await alice.client.login(f"a{tag}", "wrong-password!")
        raise AssertionError("a wrong password was accepted")
    except t.TidingsError.Server as e:
        assert e.code == "invalid_credentials", e.code
    try:
        await alice.client.conversations()
        raise AssertionError("a call without a session succeeded")
    except t.TidingsError.NotLoggedIn:
        pass
    assert await alice.client.login(f"a{tag}", PASSWORD) == alice_id
    assert await bob.client.login(f"b{tag}", PASSWORD) == bob_id
    assert alice.client.user_id() == alice_id
    step("register + login")

    # Connect.
    await alice.client.connect()
    await bob.client.connect()
    await alice.connected()
    await bob.connected()
    step("connect")

    # Send: returned at once as SENDING, then SENT with a seq through the listener.
    conv = alice.client.direct_conversation(bob_id)
    assert conv == bob.client.direct_conversation(alice_id)
    sent = await alice.client.send_text(conv, "hello from python")
    assert sent.status == sdk.MessageStatus.SENDING and sent.seq is None, sent
    acked = await alice.events.wait(
        "sent status",
        lambda e: isinstance(e, sdk.ClientEvent.MESSAGE_STATUS_CHANGED)
        and e.client_msg_id == sent.client_msg_id
        and e.status == sdk.MessageStatus.SENT,
    )
    first_seq = acked.seq
    assert first_seq is not None
    mine = await alice.client.message_by_client_id(sent.client_msg_id)
    assert mine.status == sdk.MessageStatus.SENT and mine.seq == first_seq, mine
    step("send")

    # Receive through the listener, on the other client (another instance in cluster mode).
    got = await bob.events.wait(
        "new message",
        lambda e: isinstance(e, sdk.ClientEvent.NEW_MESSAGE) and e.message.client_msg_id == sent.client_msg_id,
    )
    assert got.message.sender == alice_id and got.message.seq == first_seq
    assert json.loads(got.message.body) == {"text": "hello from python"}
    assert got.message.status == sdk.MessageStatus.RECEIVED
    step("receive through a listener")

    # Unread counts.
    await bob.events.wait(
        "total unread 1", lambda e: isinstance(e, sdk.ClientEvent.TOTAL_UNREAD_CHANGED) and e.total == 1
    )
    assert await bob.client.total_unread() == 1
    row = await bob.client.conversation(conv)
    assert row.unread == 1 and row.peer == alice_id and row.last_message.seq == first_seq, row
    await bob.client.mark_read(conv, first_seq)
    assert await bob.client.total_unread() == 0
    await bob.events.wait(
        "total unread 0", lambda e: isinstance(e, sdk.ClientEvent.TOTAL_UNREAD_CHANGED) and e.total == 0
    )
    await alice.events.wait(
        "read receipt",
        lambda e: isinstance(e, sdk.ClientEvent.READ_RECEIPT) and e.user_id == bob_id and e.seq == first_seq,
    )
    step("unread counts and read receipt")

    # Sync: bob is offline while alice sends two more; on reconnect they come by sync.
    await bob.client.disconnect()
    more = [await alice.client.send_text(conv, f"while you were away {i}") for i in (1, 2)]
    for m in more:
        await alice.events.wait(
            "sent while bob is away",
            lambda e, m=m: isinstance(e, sdk.ClientEvent.MESSAGE_STATUS_CHANGED)
            and e.client_msg_id == m.client_msg_id
            and e.status == sdk.MessageStatus.SENT,
        )
    assert await bob.client.cursor(conv) == first_seq
    await bob.client.connect()
    await bob.connected()
    await bob.events.wait(
        "sync progress",
        lambda e: isinstance(e, sdk.ClientEvent.SYNC_PROGRESS) and e.conv == conv and e.to_seq >= first_seq + 2,
    )
    for m in more:
        await bob.events.wait(
            "synced message",
            lambda e, m=m: isinstance(e, sdk.ClientEvent.NEW_MESSAGE) and e.message.client_msg_id == m.client_msg_id,
        )
    assert await bob.client.cursor(conv) == first_seq + 2
    assert await bob.client.total_unread() == 2
    page = await bob.client.history(conv, None, 10)
    assert [m.seq for m in page] == [first_seq, first_seq + 1, first_seq + 2], page
    step("sync")

    # Recall: alice recalls her first message; bob sees it through the listener.
    await alice.client.recall(conv, first_seq + 1)
    gone = await bob.events.wait(
        "recall", lambda e: isinstance(e, sdk.ClientEvent.RECALLED) and e.seq == first_seq + 1
    )
    assert gone.by == alice_id and gone.conv == conv
    page = await bob.client.history(conv, None, 10)
    recalled = [m for m in page if m.seq == first_seq + 1][0]
    assert recalled.kind == "recalled" and json.loads(recalled.body) == {}, recalled
    assert await bob.client.total_unread() == 1
    try:
        await bob.client.recall(conv, first_seq)
        raise AssertionError("bob recalled alice's message")
    except t.TidingsError.Server as e:
        assert e.code, e
    step("recall")

    # Edit: alice edits her last message; bob gets the event and his store has the new text.
    await alice.client.edit(conv, first_seq + 2, "edited from python")
    changed = await bob.events.wait(
        "edit", lambda e: isinstance(e, sdk.ClientEvent.EDITED) and e.seq == first_seq + 2
    )
    assert changed.conv == conv and json.loads(changed.body) == {"text": "edited from python"}, changed
    page = await bob.client.history(conv, None, 10)
    edited = [m for m in page if m.seq == first_seq + 2][0]
    assert json.loads(edited.body) == {"text": "edited from python"}, edited
    assert edited.edited_at == changed.edited_at, edited
    assert await bob.client.total_unread() == 1, "an edit is never unread"
    try:
        await bob.client.edit(conv, first_seq + 2, "not mine")
        raise AssertionError("bob edited alice's message")
    except t.TidingsError.Server as e:
        assert e.code == "forbidden", e
    step("edit")

    # Local search, offline: bob's store finds what it received, with the server's rules.
    for text in ["新的部署方案已经发布", "Deployment notes"]:
        m = await alice.client.send_text(conv, text)
        await bob.events.wait(
            f"message {text!r}",
            lambda e, m=m: isinstance(e, sdk.ClientEvent.NEW_MESSAGE) and e.message.client_msg_id == m.client_msg_id,
        )
    await bob.client.disconnect()
    page = await bob.client.search_local("部署方案")
    assert [json.loads(h.message.body)["text"] for h in page.results] == ["新的部署方案已经发布"], page
    hit = page.results[0]
    assert hit.snippet == "新的部署方案已经发布" and page.next_cursor is None, hit
    assert [(r.start, r.end) for r in hit.highlights] == [(2, 6)], hit.highlights
    assert hit.snippet[2:6] == "部署方案"
    page = await bob.client.search_local("deploy", conv=conv)
    assert [json.loads(h.message.body)["text"] for h in page.results] == ["Deployment notes"], page
    page = await bob.client.search_local("edited")
    assert [h.message.seq for h in page.results] == [first_seq + 2], page
    assert page.results[0].message.edited_at is not None
    assert (await bob.client.search_local("away")).results == [], "edited away and recalled"
    first = await bob.client.search_local("python", limit=1)
    assert [h.message.seq for h in first.results] == [first_seq + 2] and first.next_cursor, first
    rest = await bob.client.search_local("python", limit=1, cursor=first.next_cursor)
    assert [h.message.seq for h in rest.results] == [first_seq] and rest.next_cursor is None, rest
    try:
        await bob.client.search_local(" ?! ")
        raise AssertionError("an empty query was accepted")
    except t.TidingsError.InvalidQuery as e:
        assert "nothing" in e.detail, e.detail
    await bob.client.connect()
    await bob.connected()
    step("local search")

    # Reactions: bob reacts to alice's message, alice sees the event and the count, then adds hers.
    unread_before = await alice.client.total_unread()
    await bob.client.react(conv, first_seq, "👍", True)
    got = await alice.events.wait(
        "reaction", lambda e: isinstance(e, sdk.ClientEvent.REACTED) and e.seq == first_seq
    )
    assert got.by == bob_id and got.emoji == "👍" and got.on is True and got.conv == conv, got
    await alice.client.react(conv, first_seq, "👍", True)
    page = await alice.client.history(conv, None, 10)
    reacted = [m for m in page if m.seq == first_seq][0]
    assert [(r.emoji, r.count, r.me) for r in reacted.reactions] == [("👍", 2, True)], reacted.reactions
    await alice.client.react(conv, first_seq, "👍", True)  # again: nothing changes
    page = await alice.client.history(conv, None, 10)
    assert [m for m in page if m.seq == first_seq][0].reactions == reacted.reactions
    assert await alice.client.total_unread() == unread_before
    step("reactions")

    # Pins: bob pins alice's first message; alice hears of it; the list crosses the FFI.
    assert await bob.client.pin(conv, first_seq) > first_seq
    pinned = await alice.events.wait(
        "pin", lambda e: isinstance(e, sdk.ClientEvent.PINNED) and e.seq == first_seq
    )
    assert pinned.on and pinned.by == bob_id and pinned.conv == conv, pinned
    pins = await alice.client.pins(conv)
    assert [(p.message.seq, p.pinned_by) for p in pins] == [(first_seq, bob_id)], pins
    step("pins")

    # Forward across the FFI: a copy into the same chat, one outcome per target.
    outcomes = await alice.client.forward(conv, [first_seq], [conv], False, f"fw{tag}")
    assert len(outcomes) == 1 and outcomes[0].conv == conv and outcomes[0].error_code is None, outcomes
    assert len(outcomes[0].seqs) == 1 and outcomes[0].seqs[0] > first_seq, outcomes
    step("forward")

    # Media through the bindings: bytes up and back down, records and errors across the FFI.
    notes = b"minutes of the meeting\n"
    up = await alice.client.upload_media("file", "text/plain", notes, "notes 1.txt")
    assert up.kind == "file" and up.size == len(notes) and up.name == "notes 1.txt" and not up.thumbnail, up
    assert await alice.client.download_media(up.media_id) == notes
    try:
        await alice.client.upload_media("image", "image/png", b"not a picture", None)
        raise AssertionError("bytes that are not an image were accepted")
    except t.TidingsError.Server as e:
        assert e.code == "media_type_mismatch", e
    step("media")

    # Push and do-not-disturb: bob's device token (a bad one refused with its code), privacy and
    # quiet hours read back, a timed mute in the list, and the badge equal to the store's count.
    await bob.client.register_push_token("fcm", f"fcm-token-{tag}")
    try:
        await bob.client.register_push_token("carrier-pigeon", "x")
        raise AssertionError("a bad push platform was accepted")
    except t.TidingsError.Server as e:
        assert e.code == "invalid_field", e
    settings = await bob.client.set_push_privacy("sender")
    assert settings.privacy == "sender", settings
    quiet = await bob.client.set_quiet_hours("22:30", "07:00", "Asia/Shanghai")
    assert quiet.quiet_hours == sdk.QuietHours(start="22:30", end="07:00", tz="Asia/Shanghai"), quiet
    settings = await bob.client.push_settings()
    assert settings.privacy == "sender" and settings.quiet_hours == quiet.quiet_hours, settings
    assert [(d.device_id, d.platform) for d in settings.devices] == [("py-bob", "fcm")], settings
    assert (await bob.client.clear_quiet_hours()).quiet_hours is None
    until = int(time.time() * 1000) + 3_600_000
    row = await bob.client.mute_conversation_until(conv, until)
    assert row.muted and row.muted_until == until, row
    listed = [c for c in await bob.client.conversations() if c.conv == conv][0]
    assert listed.muted and listed.muted_until == until, listed
    try:
        await bob.client.mute_conversation_until(conv, int(time.time() * 1000) - 1000)
        raise AssertionError("a mute ending in the past was accepted")
    except t.TidingsError.Server as e:
        assert e.code == "invalid_field", e
    late = await alice.client.send_text(conv, "while muted")
    got = await bob.events.wait(
        "message while muted",
        lambda e: isinstance(e, sdk.ClientEvent.NEW_MESSAGE) and e.message.client_msg_id == late.client_msg_id,
    )
    deadline = loop.time() + WAIT
    while (badge := await bob.client.badge_count()) != await bob.client.total_unread():
        assert loop.time() < deadline, (badge, await bob.client.total_unread())
        await asyncio.sleep(0.1)
    assert badge >= 1, badge
    await bob.client.mark_read(conv, got.message.seq)
    assert await bob.client.badge_count() == await bob.client.total_unread() == 0
    row = await bob.client.mute_conversation(conv, False)
    assert not row.muted and row.muted_until is None, row
    await bob.client.unregister_push_token()
    await bob.client.unregister_push_token()  # again: no error
    assert (await bob.client.push_settings()).devices == []
    step("push token, notification settings, timed mute and badge")

    # A cancelled subscription gets nothing more, while another listener still does.
    other = Recorder(loop)
    other_sub = bob.client.add_listener(other)
    assert bob.subscription.cancel() is True
    assert bob.subscription.cancel() is False
    await asyncio.sleep(0.5)  # events queued before the cancel may still be on their way
    before = bob.events.count
    last = await alice.client.send_text(conv, "after cancel")
    await other.wait(
        "message after cancel",
        lambda e: isinstance(e, sdk.ClientEvent.NEW_MESSAGE) and e.message.client_msg_id == last.client_msg_id,
    )
    await asyncio.sleep(0.5)
    assert bob.events.count == before, "a cancelled listener still got events"
    assert other_sub.cancel() is True
    step("subscription cancel")

    # Discovery: a client that asks the server which instance to use, and probes them.
    carol = await App.start("carol", SERVER_A, loop, discovery=True)
    assert carol.client.chosen_server() is None
    await carol.client.register(f"c{tag}", PASSWORD, None)
    await carol.client.login(f"c{tag}", PASSWORD)
    await carol.client.connect()
    await carol.connected()
    candidates = carol.client.server_candidates()
    chosen = carol.client.chosen_server()
    assert chosen in [c.url for c in candidates], (chosen, candidates)
    assert candidates[0].id and candidates[0].rtt_ms is not None, candidates
    assert all(c.url in (SERVER_A, SERVER_B) for c in candidates if c.id), candidates
    await carol.client.shutdown()
    step("discovery: chosen server and candidates")

    # Clean shutdown: both clients stop; the outbox is empty.
    assert await alice.client.outbox_len() == 0
    alice.subscription.cancel()
    await alice.client.shutdown()
    await bob.client.shutdown()
    step("shutdown")


def main():
    asyncio.run(asyncio.wait_for(story(), 150))
    print("PASSED all", flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The story is over and the client was shut down. Leave without the interpreter's teardown,
    # which has been seen (once in many runs) to abort while the library's runtime threads wind
    # down ("FATAL: exception not rethrown"); see bindings/README.md.
    os._exit(code)

// The Tidings SDK through its generated Kotlin bindings (JNA), against a live server: the same
// story as test_sdk.py, on the JVM with kotlinx-coroutines. Run by bindings/tests/kotlin.rs,
// which generates the bindings from this build's library, compiles them with this file, and
// starts the server(s). Environment: TIDINGS_SERVER_A and TIDINGS_SERVER_B (base URLs; the same
// server in embedded mode, two instances in cluster mode) and TIDINGS_DATA (a scratch
// directory). Every wait is bounded; a failed check throws, and the process exits non-zero.

import java.net.ServerSocket
import java.util.UUID
import kotlin.system.exitProcess
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import uniffi.tidings.EventListener
import uniffi.tidings.Subscription
import uniffi.tidings.TidingsClient
import uniffi.tidings.TidingsException
import uniffi.tidings.defaultConfig
import uniffi.tidings_sdk.ClientEvent
import uniffi.tidings_sdk.ConnectionState
import uniffi.tidings_sdk.MessageStatus
import uniffi.tidings_sdk.QuietHours

val SERVER_A: String = System.getenv("TIDINGS_SERVER_A")
val SERVER_B: String = System.getenv("TIDINGS_SERVER_B")
val DATA: String = System.getenv("TIDINGS_DATA")
const val PASSWORD = "correct-horse-kt"
const val WAIT_MS = 20_000L

fun step(name: String) = println("ok: $name")

fun check(ok: Boolean, what: () -> String) {
    if (!ok) throw AssertionError(what())
}

/** Hands events from the SDK's dispatcher thread to the story, in order. */
class Recorder : EventListener {
    private val channel = Channel<ClientEvent>(Channel.UNLIMITED)
    private val pending = mutableListOf<ClientEvent>()
    @Volatile var count = 0

    override fun onEvent(event: ClientEvent) {
        count += 1
        channel.trySend(event)
    }

    /** Claims the first unclaimed event [match] accepts; fails after [WAIT_MS]. */
    suspend fun <T : ClientEvent> wait(what: String, match: (ClientEvent) -> Boolean): T {
        val found = withTimeoutOrNull(WAIT_MS) {
            while (true) {
                val i = pending.indexOfFirst(match)
                if (i >= 0) return@withTimeoutOrNull pending.removeAt(i)
                pending.add(channel.receive())
            }
            @Suppress("UNREACHABLE_CODE")
            null
        } ?: throw AssertionError("no $what within ${WAIT_MS}ms; unclaimed: $pending")
        @Suppress("UNCHECKED_CAST")
        return found as T
    }
}

/** One user's client with its recorder. */
class App(val client: TidingsClient, val events: Recorder, val subscription: Subscription) {
    suspend fun connected() = events.wait<ClientEvent.Connection>("connected") {
        it is ClientEvent.Connection && it.state is ConnectionState.Connected
    }

    companion object {
        // Discovery off unless asked for: alice and bob stay on their instances (two in cluster
        // mode), wherever discovery would send their devices.
        suspend fun start(name: String, server: String, discovery: Boolean = false): App {
            val config = defaultConfig(listOf(server), "$DATA/$name", "kt-$name", "android")
            config.discovery = discovery
            config.heartbeatSecs = 2uL
            config.ackTimeoutMs = 3000uL
            config.backoffInitialMs = 50uL
            config.backoffMaxMs = 500uL
            config.requestTimeoutMs = 5000uL
            val client = TidingsClient.create(config)
            val recorder = Recorder()
            return App(client, recorder, client.addListener(recorder))
        }
    }
}

suspend fun <T> refused(what: String, call: suspend () -> T): TidingsException {
    try {
        call()
    } catch (e: TidingsException) {
        return e
    }
    throw AssertionError("$what was accepted")
}

suspend fun story() {
    val tag = UUID.randomUUID().toString().take(10).replace("-", "")

    // Bad input: a refused config is an InvalidInput exception, not a crash.
    val bad = refused("an empty server list") { TidingsClient.create(defaultConfig(listOf(), "$DATA/bad", "dev", "android")) }
    check(bad is TidingsException.InvalidInput && bad.detail.contains("server")) { "bad config: $bad" }
    step("bad config refused")

    val alice = App.start("alice", SERVER_A)
    val bob = App.start("bob", SERVER_B)
    check(alice.client.userId() == null) { "a user before login" }

    // Register + login; errors are exceptions carrying the server's code.
    val aliceId = alice.client.register("a$tag", PASSWORD, "Alice")
    val bobId = bob.client.register("b$tag", PASSWORD, null)
    val wrong = refused("a wrong password") { alice.client.login("a$tag", "wrong-password!") }
    check(wrong is TidingsException.Server && wrong.code == "invalid_credentials") { "wrong password: $wrong" }
    val noSession = refused("a call without a session") { alice.client.conversations() }
    check(noSession is TidingsException.NotLoggedIn) { "no session: $noSession" }
    check(alice.client.login("a$tag", PASSWORD) == aliceId) { "login answered another id" }
    check(bob.client.login("b$tag", PASSWORD) == bobId) { "login answered another id" }
    step("register + login")

    alice.client.connect()
    bob.client.connect()
    alice.connected()
    bob.connected()
    step("connect")

    // Send: SENDING at once, then SENT with a seq through the listener.
    val conv = alice.client.directConversation(bobId)
    check(conv == bob.client.directConversation(aliceId)) { "two ids for one chat" }
    val sent = alice.client.sendText(conv, "hello from kotlin")
    check(sent.status == MessageStatus.SENDING && sent.seq == null) { "sent: $sent" }
    val acked = alice.events.wait<ClientEvent.MessageStatusChanged>("sent status") {
        it is ClientEvent.MessageStatusChanged && it.clientMsgId == sent.clientMsgId && it.status == MessageStatus.SENT
    }
    val first = acked.seq ?: throw AssertionError("no seq in $acked")
    step("send")

    // Receive through the listener, on the other client (another instance in cluster mode).
    val got = bob.events.wait<ClientEvent.NewMessage>("new message") {
        it is ClientEvent.NewMessage && it.message.clientMsgId == sent.clientMsgId
    }
    check(got.message.sender == aliceId && got.message.seq == first) { "received: $got" }
    check(got.message.body == """{"text":"hello from kotlin"}""") { "body: ${got.message.body}" }
    check(got.message.status == MessageStatus.RECEIVED) { "status: ${got.message.status}" }
    step("receive through a listener")

    // Unread counts and a read receipt.
    bob.events.wait<ClientEvent.TotalUnreadChanged>("total unread 1") { it is ClientEvent.TotalUnreadChanged && it.total == 1uL }
    val row = bob.client.conversation(conv) ?: throw AssertionError("no conversation row")
    check(row.unread == 1uL && row.peer == aliceId) { "row: $row" }
    bob.client.markRead(conv, first)
    check(bob.client.totalUnread() == 0uL) { "unread after read" }
    alice.events.wait<ClientEvent.ReadReceipt>("read receipt") {
        it is ClientEvent.ReadReceipt && it.userId == bobId && it.seq == first
    }
    step("unread counts and read receipt")

    // A gap: bob is offline while alice sends two; on reconnect they come by sync, in order.
    bob.client.disconnect()
    val more = listOf(1, 2).map { alice.client.sendText(conv, "while you were away $it") }
    for (m in more) {
        alice.events.wait<ClientEvent.MessageStatusChanged>("sent while bob is away") {
            it is ClientEvent.MessageStatusChanged && it.clientMsgId == m.clientMsgId && it.status == MessageStatus.SENT
        }
    }
    check(bob.client.cursor(conv) == first) { "cursor moved while offline" }
    bob.client.connect()
    bob.connected()
    for (m in more) {
        bob.events.wait<ClientEvent.NewMessage>("synced message") {
            it is ClientEvent.NewMessage && it.message.clientMsgId == m.clientMsgId
        }
    }
    check(bob.client.cursor(conv) == first + 2uL) { "cursor after sync" }
    val page = bob.client.history(conv, null, 10u)
    check(page.map { it.seq } == listOf(first, first + 1uL, first + 2uL)) { "history: ${page.map { it.seq }}" }
    step("gap filled on reconnect")

    // Recall: bob sees it through the listener; his copy is recalled.
    alice.client.recall(conv, first + 1uL)
    val gone = bob.events.wait<ClientEvent.Recalled>("recall") { it is ClientEvent.Recalled && it.seq == first + 1uL }
    check(gone.by == aliceId && gone.conv == conv) { "recalled: $gone" }
    val recalled = bob.client.history(conv, null, 10u).first { it.seq == first + 1uL }
    check(recalled.kind == "recalled" && recalled.body == "{}") { "recalled copy: $recalled" }
    val notHis = refused("bob recalling alice's message") { bob.client.recall(conv, first) }
    check(notHis is TidingsException.Server && notHis.code.isNotEmpty()) { "recall refusal: $notHis" }
    step("recall")

    // Media: bytes up and back down; a mismatched upload is refused with its code.
    val notes = "minutes of the meeting\n".toByteArray()
    val up = alice.client.uploadMedia("file", "text/plain", notes, "notes 1.txt")
    check(up.kind == "file" && up.size == notes.size.toULong() && up.name == "notes 1.txt") { "upload: $up" }
    check(alice.client.downloadMedia(up.mediaId).contentEquals(notes)) { "downloaded other bytes" }
    val notImage = refused("bytes that are not an image") { alice.client.uploadMedia("image", "image/png", "nope".toByteArray(), null) }
    check(notImage is TidingsException.Server && notImage.code == "media_type_mismatch") { "upload refusal: $notImage" }
    step("media")

    // Push and do-not-disturb: bob's device token (a bad one refused with its code), privacy and
    // quiet hours read back, a timed mute in the list, and the badge equal to the store's count.
    bob.client.registerPushToken("apns", "apns-token-$tag")
    val badToken = refused("a bad push platform") { bob.client.registerPushToken("carrier-pigeon", "x") }
    check(badToken is TidingsException.Server && badToken.code == "invalid_field") { "bad token: $badToken" }
    check(bob.client.setPushPrivacy("hidden").privacy == "hidden") { "privacy not set" }
    val quiet = bob.client.setQuietHours("23:00", "06:30", "Europe/Berlin").quietHours
    check(quiet == QuietHours("23:00", "06:30", "Europe/Berlin")) { "quiet hours: $quiet" }
    val settings = bob.client.pushSettings()
    check(settings.privacy == "hidden" && settings.quietHours == quiet) { "settings: $settings" }
    check(settings.devices.map { it.deviceId to it.platform } == listOf("kt-bob" to "apns")) { "devices: ${settings.devices}" }
    check(bob.client.clearQuietHours().quietHours == null) { "quiet hours not cleared" }
    val until = System.currentTimeMillis() + 3_600_000L
    val muted = bob.client.muteConversationUntil(conv, until)
    check(muted.muted && muted.mutedUntil == until) { "muted row: $muted" }
    val listed = bob.client.conversations().first { it.conv == conv }
    check(listed.muted && listed.mutedUntil == until) { "listed row: $listed" }
    val pastMute = refused("a mute ending in the past") { bob.client.muteConversationUntil(conv, System.currentTimeMillis() - 1000L) }
    check(pastMute is TidingsException.Server && pastMute.code == "invalid_field") { "past mute: $pastMute" }
    val late = alice.client.sendText(conv, "while muted")
    val heard = bob.events.wait<ClientEvent.NewMessage>("message while muted") {
        it is ClientEvent.NewMessage && it.message.clientMsgId == late.clientMsgId
    }
    val badge = withTimeout(WAIT_MS) {
        while (bob.client.badgeCount() != bob.client.totalUnread()) delay(100)
        bob.client.badgeCount()
    }
    check(badge >= 1uL) { "badge $badge after a new message" }
    bob.client.markRead(conv, heard.message.seq ?: throw AssertionError("no seq"))
    check(bob.client.badgeCount() == 0uL && bob.client.totalUnread() == 0uL) { "badge after reading" }
    val unmuted = bob.client.muteConversation(conv, false)
    check(!unmuted.muted && unmuted.mutedUntil == null) { "unmuted row: $unmuted" }
    bob.client.unregisterPushToken()
    bob.client.unregisterPushToken() // again: no error
    check(bob.client.pushSettings().devices.isEmpty()) { "devices after unregistering" }
    step("push token, notification settings, timed mute and badge")

    // A cancelled subscription gets nothing more, while another listener still does.
    val other = Recorder()
    val otherSub = bob.client.addListener(other)
    check(bob.subscription.cancel()) { "first cancel" }
    check(!bob.subscription.cancel()) { "second cancel" }
    delay(500) // events queued before the cancel may still be on their way
    val before = bob.events.count
    val last = alice.client.sendText(conv, "after cancel")
    other.wait<ClientEvent.NewMessage>("message after cancel") {
        it is ClientEvent.NewMessage && it.message.clientMsgId == last.clientMsgId
    }
    delay(500)
    check(bob.events.count == before) { "a cancelled listener still got events" }
    check(otherSub.cancel()) { "other cancel" }
    step("subscription cancel")

    // Coroutine cancellation: a call pending on a server that never answers is cancelled at
    // once (the Rust future is dropped), and the client goes on working.
    ServerSocket(0).use { silent ->
        val stuck = App.start("stuck", "http://127.0.0.1:${silent.localPort}")
        val started = System.nanoTime()
        val job = kotlinx.coroutines.coroutineScope {
            val job = launch { stuck.client.register("s$tag", PASSWORD, null) }
            delay(300)
            check(job.isActive) { "the call to a silent server finished" }
            job.cancel(CancellationException("the user left the screen"))
            job.join()
            job
        }
        val tookMs = (System.nanoTime() - started) / 1_000_000
        check(job.isCancelled && tookMs < 3000) { "cancellation took ${tookMs}ms" }
        stuck.client.shutdown()
    }
    check(alice.client.history(conv, null, 1u).size == 1) { "the client after a cancelled call" }
    step("coroutine cancellation")

    // Discovery: a client that asks the server which instance to use, and probes them.
    val carol = App.start("carol", SERVER_A, discovery = true)
    check(carol.client.chosenServer() == null) { "a server chosen before connecting" }
    carol.client.register("c$tag", PASSWORD, null)
    carol.client.login("c$tag", PASSWORD)
    carol.client.connect()
    carol.connected()
    val candidates = carol.client.serverCandidates()
    val chosen = carol.client.chosenServer()
    check(candidates.any { it.url == chosen }) { "chosen $chosen not among $candidates" }
    check(candidates[0].id.isNotEmpty() && candidates[0].rttMs != null) { "candidates: $candidates" }
    carol.client.shutdown()
    step("discovery: chosen server and candidates")

    check(alice.client.outboxLen() == 0uL) { "outbox not empty" }
    alice.subscription.cancel()
    alice.client.shutdown()
    bob.client.shutdown()
    step("shutdown")
}

fun main() {
    runBlocking { withTimeout(150_000) { story() } }
    println("PASSED all")
    System.out.flush()
    // The story is over and both clients were shut down; leave without waiting for the
    // library's runtime threads.
    exitProcess(0)
}

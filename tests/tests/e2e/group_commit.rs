//! Group commit, observed on the real pipeline over the real SQLite store: a burst of concurrent
//! sends commits in a few shared transactions, with contiguous seqs and one row per client_msg_id.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join_all;
use tidings_app::PipelineConfig;
use tidings_app::messaging::{CommitPipeline, Draft, OpenedConversations, PipelinePorts, WriteLane};
use tidings_domain::message::Message;
use tidings_domain::ports::{MessageStore, Notifier};
use tidings_domain::{ConvId, DeviceId, StoreError, UserId};
use tidings_infrastructure::db::{DbOptions, SqlMessageStore, connect_and_migrate, connect_batch_writer};
use tidings_infrastructure::memory::{LocalNotifier, MemoryDedupeCache, MemorySeqAllocator};
use tidings_interfaces::ws::hub::Hub;

/// The real store, with a count of the transactions (`append` calls) it ran.
struct CountingStore {
    inner: SqlMessageStore,
    transactions: AtomicUsize,
    largest: AtomicUsize,
}

#[async_trait]
impl MessageStore for CountingStore {
    async fn append(&self, batch: &[Message], open: &[ConvId]) -> Result<(), StoreError> {
        self.transactions.fetch_add(1, Ordering::SeqCst);
        self.largest.fetch_max(batch.len(), Ordering::SeqCst);
        self.inner.append(batch, open).await
    }
    async fn find_by_client_ids(&self, keys: &[(UserId, String)]) -> Result<Vec<Message>, StoreError> {
        self.inner.find_by_client_ids(keys).await
    }
    async fn max_seq(&self, conv: &ConvId) -> Result<u64, StoreError> {
        self.inner.max_seq(conv).await
    }
    async fn after(&self, conv: &ConvId, after: u64, limit: u64) -> Result<Vec<Message>, StoreError> {
        self.inner.after(conv, after, limit).await
    }
    async fn before(&self, conv: &ConvId, before: u64, limit: u64) -> Result<Vec<Message>, StoreError> {
        self.inner.before(conv, before, limit).await
    }
    async fn get(&self, conv: &ConvId, seq: u64) -> Result<Option<Message>, StoreError> {
        self.inner.get(conv, seq).await
    }
    async fn count_unread(&self, conv: &ConvId, user: &UserId, after: u64, upto: u64) -> Result<u64, StoreError> {
        self.inner.count_unread(conv, user, after, upto).await
    }
    async fn mark_recalled(&self, conv: &ConvId, seq: u64) -> Result<bool, StoreError> {
        self.inner.mark_recalled(conv, seq).await
    }
}

fn draft(conv: &ConvId, sender: &UserId, cmid: String) -> Draft {
    Draft {
        conv: conv.clone(),
        sender: sender.clone(),
        device: Some(DeviceId::new("d1")),
        client_msg_id: cmid,
        kind: "text".into(),
        body: r#"{"text":"burst"}"#.into(),
        recipients: vec![sender.clone()],
        opens_direct: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sends_shares_few_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let opts = DbOptions {
        url: format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(5),
        sqlite_sync_every_commit: true,
    };
    let db = connect_and_migrate(&opts).await.unwrap();
    // As the server does: batches commit through the SQLite writer thread, reads use the pool,
    // so the read-back below also shows the pool sees every committed batch.
    let writer = connect_batch_writer(&opts, &db).await.unwrap();
    let store = Arc::new(CountingStore {
        inner: SqlMessageStore::for_batches(&opts, db, writer).unwrap(),
        transactions: AtomicUsize::new(0),
        largest: AtomicUsize::new(0),
    });
    let notifier: Arc<dyn Notifier> = Arc::new(LocalNotifier::new(Arc::new(Hub::new(16)), Arc::default()));
    let pipeline = CommitPipeline::start(
        PipelinePorts {
            store: store.clone(),
            dedupe: Arc::new(MemoryDedupeCache::new(10_000)),
            seqs: Arc::new(MemorySeqAllocator::new(store.clone())),
            notifier,
            clock: Arc::new(tidings_domain::SystemClock),
        },
        PipelineConfig { shards: 1, queue_capacity: 4096, max_batch: 512, one_writer_at_a_time: true },
        WriteLane::shared(),
        Arc::new(OpenedConversations::new(100)),
    );
    let (a, b) = (UserId::parse("u_a").unwrap(), UserId::parse("u_b").unwrap());
    let conv = ConvId::direct(&a, &b).unwrap();

    let mut pending: Vec<_> = (0..1000).map(|i| pipeline.enqueue(draft(&conv, &a, format!("c{i}"))).unwrap()).collect();
    pending.push(pipeline.enqueue(draft(&conv, &a, "c5".into())).unwrap());
    let acks: Vec<_> = join_all(pending.into_iter().map(|p| p.wait())).await.into_iter().map(Result::unwrap).collect();

    let mut fresh: Vec<u64> = acks.iter().filter(|a| !a.duplicate).map(|a| a.seq).collect();
    fresh.sort_unstable();
    assert_eq!(fresh, (1..=1000).collect::<Vec<u64>>(), "contiguous seqs, one per client_msg_id");
    let repeat = &acks[1000];
    assert!(repeat.duplicate);
    assert_eq!((repeat.seq, &repeat.msg_id), (acks[5].seq, &acks[5].msg_id));
    for (i, ack) in acks[..1000].iter().enumerate() {
        assert_eq!(ack.seq, i as u64 + 1, "queue order is seq order");
    }

    let stored = store.inner.after(&conv, 0, 5000).await.unwrap();
    assert_eq!(stored.len(), 1000);
    let transactions = store.transactions.load(Ordering::SeqCst);
    assert!(transactions <= 20, "1000 queued sends took {transactions} transactions");
    assert!(store.largest.load(Ordering::SeqCst) >= 100, "batches were shared");
}

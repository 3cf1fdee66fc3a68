//! `db-kill`: MariaDB `KILL`s the database connections of one instance.
//!
//! The run's connections are listed from `information_schema.processlist` (`db` = the run's
//! database); the instance's own are those whose client port is a socket of its process (found
//! through `/proc/{pid}/fd` and `/proc/net/tcp*`). If none can be matched, every connection of
//! the run's database is killed and the report says so.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait as _, DbBackend, Statement};

fn mysql_base() -> String {
    std::env::var("TIDINGS_TEST_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// Kills the MariaDB connections of process `pid` to database `db_name`; how many were killed
/// and a note on how they were chosen.
pub async fn kill_connections(db_name: &str, pid: u32) -> anyhow::Result<(usize, String)> {
    anyhow::ensure!(db_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "odd database name {db_name}");
    let ports = client_ports(pid, 3306);
    let db = sea_orm::Database::connect(format!("{}/mysql", mysql_base())).await?;
    let sql = format!("SELECT CAST(id AS CHAR) AS id, host FROM information_schema.processlist WHERE db = '{db_name}'");
    let rows = db.query_all_raw(Statement::from_string(DbBackend::MySql, sql)).await?;
    let listed: Vec<(String, Option<u16>)> = rows
        .iter()
        .filter_map(|r| {
            let id: String = r.try_get("", "id").ok()?;
            let host: String = r.try_get("", "host").unwrap_or_default();
            Some((id, host.rsplit(':').next().and_then(|p| p.parse().ok())))
        })
        .collect();
    let mine: Vec<&String> =
        listed.iter().filter(|(_, port)| port.is_some_and(|p| ports.contains(&p))).map(|(id, _)| id).collect();
    let (targets, note) = if mine.is_empty() {
        (listed.iter().map(|(id, _)| id).collect(), format!("its sockets not found: all {} of the run's", listed.len()))
    } else {
        (mine, format!("of {} of the run's", listed.len()))
    };
    let mut killed = 0;
    for id in targets {
        if id.chars().all(|c| c.is_ascii_digit()) && db.execute_unprepared(&format!("KILL {id}")).await.is_ok() {
            killed += 1;
        }
    }
    let _ = db.close().await;
    Ok((killed, note))
}

/// Local ports of `pid`'s TCP connections to `remote_port`.
fn client_ports(pid: u32, remote_port: u16) -> HashSet<u16> {
    let mut inodes = HashSet::new();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for entry in dir.flatten() {
            let Ok(target) = std::fs::read_link(entry.path()) else { continue };
            let target = target.to_string_lossy();
            if let Some(inode) = target.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                inodes.insert(inode.to_owned());
            }
        }
    }
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || !inodes.contains(f[9]) {
                continue;
            }
            let port = |addr: &str| addr.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if port(f[2]) == Some(remote_port)
                && let Some(local) = port(f[1])
            {
                ports.insert(local);
            }
        }
    }
    ports
}

//! The population of a run: users, their devices (logged in) and their conversations.

use std::time::Duration;

use serde_json::json;

use super::cluster::Topology;
use super::rest::Http;
use super::rng::Rng;
use crate::client::{Api, Login, direct};

/// A user of the run.
#[derive(Debug, Clone)]
pub struct UserSpec {
    /// Username.
    pub name: String,
    /// User id.
    pub id: String,
    /// Indexes of its devices in [`World::devices`].
    pub devices: Vec<usize>,
}

/// A logged-in device.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    /// Its index in [`World::devices`].
    pub idx: usize,
    /// Index of its user in [`World::users`].
    pub user: usize,
    /// Label for reports (`u03/d1`).
    pub name: String,
    /// Its session.
    pub login: Login,
    /// The conversations of its user.
    pub convs: Vec<String>,
    /// The instance it connects to first (round robin).
    pub home: usize,
}

/// A conversation of the run.
#[derive(Debug, Clone)]
pub struct ConvSpec {
    /// Conversation id (`d:…` or `g:…`).
    pub id: String,
    /// Indexes of its members in [`World::users`].
    pub members: Vec<usize>,
}

/// Everyone and everything the traffic uses.
#[derive(Debug, Clone)]
pub struct World {
    /// Users.
    pub users: Vec<UserSpec>,
    /// Devices.
    pub devices: Vec<DeviceSpec>,
    /// Conversations.
    pub convs: Vec<ConvSpec>,
}

impl World {
    /// The conversation `id`.
    pub fn conv(&self, id: &str) -> Option<&ConvSpec> {
        self.convs.iter().find(|c| c.id == id)
    }
}

/// Registers `users` users (two thirds of them with a second device), logs every device in,
/// and makes direct chats (a ring plus a fifth more pairs) and groups of 3–6 (three tenths as
/// many as users), spreading the REST calls over the instances.
pub async fn build(topo: &Topology, users: usize, rng: &mut Rng) -> anyhow::Result<World> {
    anyhow::ensure!(users >= 3, "at least 3 users");
    let apis: Vec<Api> = topo.nodes().iter().map(|n| Api::new(format!("http://127.0.0.1:{}", n.port))).collect();
    let n_inst = apis.len();
    let mut world = World { users: Vec::new(), devices: Vec::new(), convs: Vec::new() };
    let two_devices = users * 2 / 3;
    for u in 0..users {
        let name = format!("u{u:02}");
        let id = apis[u % n_inst].register(&name).await;
        let mut user = UserSpec { name: name.clone(), id, devices: Vec::new() };
        let devices = if u < two_devices { 2 } else { 1 };
        for d in 0..devices {
            let idx = world.devices.len();
            let login = apis[idx % n_inst].login(&name, &format!("{name}-d{d}")).await;
            user.devices.push(idx);
            world.devices.push(DeviceSpec {
                idx,
                user: u,
                name: format!("{name}/d{d}"),
                login,
                convs: Vec::new(),
                home: idx % n_inst,
            });
        }
        world.users.push(user);
    }

    let mut pairs: Vec<(usize, usize)> = (0..users).map(|u| (u, (u + 1) % users)).collect();
    for _ in 0..(users / 5).max(1) * 100 {
        if pairs.len() >= users + (users / 5).max(1) {
            break;
        }
        let (a, b) = (rng.below(users), rng.below(users));
        if a != b && !pairs.iter().any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a)) {
            pairs.push((a, b));
        }
    }
    for (a, b) in pairs {
        world.convs.push(ConvSpec { id: direct(&world.users[a].id, &world.users[b].id), members: vec![a, b] });
    }

    let http = Http::new()?;
    for g in 0..(users * 3 / 10).max(1) {
        let size = (rng.between(3, 6) as usize).min(users);
        let mut all: Vec<usize> = (0..users).collect();
        rng.shuffle(&mut all);
        let members: Vec<usize> = all.into_iter().take(size).collect();
        let owner = &world.users[members[0]];
        let token = &world.devices[owner.devices[0]].login.access_token;
        let others: Vec<&str> = members[1..].iter().map(|&m| world.users[m].id.as_str()).collect();
        let port = topo.node(g % n_inst).map_or(0, |n| n.port);
        let body = json!({"name": format!("group {g}"), "members": others});
        let (status, answer) = http.post(port, "/api/v1/groups", Some(token), body, Duration::from_secs(10)).await?;
        anyhow::ensure!(status == 201, "creating group {g}: {status} {answer}");
        let group_id = answer["group_id"].as_str().unwrap_or_default();
        anyhow::ensure!(!group_id.is_empty(), "creating group {g}: no group_id in {answer}");
        world.convs.push(ConvSpec { id: format!("g:{group_id}"), members });
    }

    for conv in &world.convs {
        for &m in &conv.members {
            for &d in &world.users[m].devices {
                world.devices[d].convs.push(conv.id.clone());
            }
        }
    }
    Ok(world)
}

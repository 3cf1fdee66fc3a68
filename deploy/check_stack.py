#!/usr/bin/env python3
"""Structural checks of deploy/swarm/stack.yml and deploy/prometheus/prometheus.yml.

Usage: check_stack.py [STACK_FILE [PROMETHEUS_FILE]]   (defaults: next to this script)

Prints one line per check (`ok`/`FAIL`) and exits 1 if any failed. It does not replace a real
`docker stack deploy`; it catches the mistakes that a YAML-only review can: a missing service,
an undeclared secret/config/volume/network, a config file that is not there, a lost healthcheck.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REQUIRED_SERVICES = ["tidings", "mariadb", "redis", "rabbitmq", "nginx"]
ALL_SECRETS = [
    "tidings_db_password",
    "tidings_db_root_password",
    "tidings_amqp_password",
    "tidings_signing_key",
]
# What the tidings replicas read (docker-entrypoint.sh); the MariaDB root password is not theirs.
TIDINGS_SECRETS = ["tidings_db_password", "tidings_amqp_password", "tidings_signing_key"]

failures = 0


def check(ok: bool, what: str, detail: str = "") -> bool:
    global failures
    if ok:
        print(f"ok   {what}")
    else:
        failures += 1
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))
    return ok


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def env_of(service: dict) -> dict[str, str]:
    """`environment` as a dict, from either the mapping or the `KEY=value` list form."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            key, _, value = str(item).partition("=")
            out[key] = value
        return out
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def refs(service: dict, key: str) -> list[str]:
    """Names a service takes from `secrets`/`configs` (short or long syntax)."""
    out = []
    for item in service.get(key) or []:
        out.append(item.get("source") if isinstance(item, dict) else str(item))
    return out


def networks_of(service: dict) -> list[str]:
    nets = service.get("networks") or []
    return list(nets.keys()) if isinstance(nets, dict) else [str(n) for n in nets]


def named_volumes_of(service: dict) -> list[str]:
    """Named volumes a service mounts (bind mounts and tmpfs need no top-level entry)."""
    out = []
    for item in service.get("volumes") or []:
        if isinstance(item, dict):
            if item.get("type", "volume") == "volume" and item.get("source"):
                out.append(item["source"])
            continue
        source = str(item).split(":", 1)[0]
        if ":" in str(item) and not source.startswith(("/", ".", "~", "$")):
            out.append(source)
    return out


def publishes_port(service: dict) -> bool:
    for port in service.get("ports") or []:
        if isinstance(port, dict) and port.get("published"):
            return True
        if isinstance(port, (str, int)) and ":" in str(port):
            return True
    return False


def has_healthcheck(service: dict) -> bool:
    hc = as_dict(service.get("healthcheck"))
    return bool(hc.get("test")) and not hc.get("disable", False)


def check_stack(path: Path) -> None:
    print(f"-- {path}")
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        check(False, "stack file parses as YAML", str(e))
        return
    if not check(isinstance(doc, dict), "stack file is a YAML mapping"):
        return
    check(bool(doc.get("version")), "stack file has a compose `version`", repr(doc.get("version")))

    services = as_dict(doc.get("services"))
    for name in REQUIRED_SERVICES:
        check(isinstance(services.get(name), dict), f"service `{name}` is defined")

    top = {key: as_dict(doc.get(key)) for key in ("secrets", "configs", "volumes", "networks")}

    tidings = as_dict(services.get("tidings"))
    if tidings:
        replicas = as_dict(tidings.get("deploy")).get("replicas")
        check(
            isinstance(replicas, int) and replicas >= 2,
            "tidings runs at least 2 replicas",
            f"deploy.replicas = {replicas!r}",
        )
        check(has_healthcheck(tidings), "tidings has a healthcheck")
        update = as_dict(as_dict(tidings.get("deploy")).get("update_config"))
        check(update.get("order") == "start-first", "tidings rolls with update_config.order start-first")
        env = env_of(tidings)
        check("TIDINGS_HTTP_ADDR" in env, "tidings sets TIDINGS_HTTP_ADDR", "missing from environment")
        check(
            env.get("TIDINGS_HTTP_ADDR", "").startswith(("0.0.0.0:", "[::]:")),
            "tidings listens on all interfaces",
            env.get("TIDINGS_HTTP_ADDR", ""),
        )
        for key in ("TIDINGS_DATABASE_URL", "TIDINGS_REDIS_URL", "TIDINGS_AMQP_URL"):
            check(bool(env.get(key)), f"tidings sets {key} (cluster mode)")
        # Secrets come from files, never from the stack file.
        leaked = [
            key
            for key in ("TIDINGS_DATABASE_URL", "TIDINGS_AMQP_URL")
            if re.match(r"^[a-z][a-z0-9+.-]*://[^/@:]+:[^/@]*@", env.get(key, ""))
        ]
        check(not leaked, "tidings URLs carry no password", ", ".join(leaked))
        check("TIDINGS_SIGNING_KEY" not in env, "tidings signing key is not in the environment")
        check(
            "Task.Slot" not in env.get("TIDINGS_INSTANCE_ID", ""),
            "TIDINGS_INSTANCE_ID is unique per task",
            "{{.Task.Slot}} repeats while start-first runs old and new task of a slot together",
        )
        taken = refs(tidings, "secrets")
        missing = [s for s in TIDINGS_SECRETS if s not in taken]
        check(not missing, "tidings references its secrets " + ", ".join(TIDINGS_SECRETS), f"missing {missing}")
        check(
            "tidings_db_root_password" not in taken,
            "tidings does not get the MariaDB root password",
        )

    used_secrets = {s for svc in services.values() for s in refs(as_dict(svc), "secrets")}
    for name in ALL_SECRETS:
        declared = as_dict(top["secrets"].get(name))
        check(declared.get("external") is True, f"secret `{name}` is declared external")
        check(name in used_secrets, f"secret `{name}` is used by a service")

    for svc_name in ("mariadb", "redis", "rabbitmq"):
        if isinstance(services.get(svc_name), dict):
            check(has_healthcheck(services[svc_name]), f"{svc_name} has a healthcheck")

    nginx = as_dict(services.get("nginx"))
    if nginx:
        check(publishes_port(nginx), "nginx publishes a port")

    # Every name a service uses is declared at the top level.
    for svc_name, svc in services.items():
        svc = as_dict(svc)
        for kind, names in (
            ("secrets", refs(svc, "secrets")),
            ("configs", refs(svc, "configs")),
            ("volumes", named_volumes_of(svc)),
            ("networks", networks_of(svc)),
        ):
            for name in names:
                check(name in top[kind], f"{svc_name}: {kind[:-1]} `{name}` is declared at top level")

    # File-backed configs and secrets exist, relative to the stack file.
    for kind in ("configs", "secrets"):
        for name, spec in top[kind].items():
            file = as_dict(spec).get("file")
            if file:
                target = (path.parent / file).resolve()
                check(target.is_file(), f"{kind[:-1]} `{name}` file exists", str(target))
    check(bool(top["configs"]), "stack declares configs (nginx, prometheus)")


def check_prometheus(path: Path) -> None:
    print(f"-- {path}")
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        check(False, "prometheus config parses as YAML", str(e))
        return
    jobs = {as_dict(j).get("job_name"): as_dict(j) for j in as_dict(doc).get("scrape_configs") or []}
    job = jobs.get("tidings")
    if not check(job is not None, "prometheus has a `tidings` scrape job"):
        return
    check(job.get("metrics_path", "/metrics") == "/metrics", "tidings job scrapes /metrics")
    sd = [as_dict(s) for s in job.get("dns_sd_configs") or []]
    check(
        any("tasks.tidings" in (s.get("names") or []) for s in sd),
        "tidings job discovers replicas via DNS `tasks.tidings`",
    )
    check(any(s.get("type") == "A" and s.get("port") == 8080 for s in sd), "tidings DNS SD is type A, port 8080")
    check(
        any(
            "localhost:9090" in (t or [])
            for j in jobs.values()
            for t in (as_dict(c).get("targets") for c in j.get("static_configs") or [])
        ),
        "prometheus scrapes itself",
    )


def main() -> int:
    stack = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "swarm" / "stack.yml"
    prom = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "prometheus" / "prometheus.yml"
    check_stack(stack.resolve())
    check_prometheus(prom.resolve())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

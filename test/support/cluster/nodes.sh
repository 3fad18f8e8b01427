#!/usr/bin/env bash
# A real multi-node Docker Swarm on one machine, for the tests: three network
# namespaces (swn1..swn5) on a host bridge, each with its own dockerd and its
# own OpenSSH server. Swarm membership is left to the tests (reset cleans up).
#
#   nodes.sh up [swnN...]     create what is missing, start what is down (idempotent)
#   nodes.sh status           print each node's state; exit 1 when something is down
#   nodes.sh reset [swnN...]  leave swarms, remove services/containers/networks/volumes left by tests
#   nodes.sh down             stop sshd and dockerd, remove namespaces, veths, bridge, rules
#
# Runs as root. Data roots (/var/lib/switchyard-test/swnN) stay after `down`.
set -euo pipefail

ALL_NODES=(swn1 swn2 swn3 swn4 swn5)
BRIDGE=sybr0
BRIDGE_ADDR=10.250.0.1/24
RUN=/run/switchyard-test
DATA=/var/lib/switchyard-test
SSH_DIR=$RUN/ssh
IMAGES=(switchyard-test/haproxy:2.6-debian switchyard-test/busybox:1.35-debian)
# The default engine owns 172.17-31.x and 192.168.x (its default pools) and
# Swarm's overlay pool is 10.0.0.0/8 from the bottom up: the nodes take ranges
# far from all of them.
#   swnN: address 10.250.0.1N, docker0 10.251.1N.1/24, local pool 10.252.(N*16).0/20 in /28s

die() {
  echo "nodes.sh: $*" >&2
  exit 1
}

idx() { echo "${1#swn}"; }
addr() { echo "10.250.0.1$(idx "$1")"; }
sock() { echo "$RUN/$1/docker.sock"; }
dk() {
  local n=$1
  shift
  docker -H "unix://$(sock "$n")" "$@"
}
engine_up() { timeout 10 docker -H "unix://$(sock "$1")" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
sshd_up() {
  pid_alive "$SSH_DIR/sshd-$1.pid" && timeout 3 bash -c "exec 3<>/dev/tcp/$(addr "$1")/22" 2>/dev/null
}

nodes_from_args() {
  if [ $# -eq 0 ]; then
    echo "${ALL_NODES[@]}"
    return
  fi
  for n in "$@"; do
    case $n in swn1 | swn2 | swn3 | swn4 | swn5) ;; *) die "unknown node: $n (swn1 to swn5)" ;; esac
  done
  echo "$@"
}

# --- shared parts ---------------------------------------------------------

up_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  # Not `ip … | grep -q`: with pipefail, grep quitting early fails the pipe with SIGPIPE.
  [[ $(ip addr show dev "$BRIDGE") == *"inet $BRIDGE_ADDR "* ]] || ip addr add "$BRIDGE_ADDR" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Docker's FORWARD policy is DROP, and br_netfilter sends bridged frames through it.
  iptables -N DOCKER-USER 2>/dev/null || true
  iptables -C FORWARD -j DOCKER-USER 2>/dev/null || iptables -I FORWARD -j DOCKER-USER
  iptables -C DOCKER-USER -i "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -i "$BRIDGE" -j ACCEPT
  iptables -C DOCKER-USER -o "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -o "$BRIDGE" -j ACCEPT
  # The namespaces reach the host's bridge address (INPUT), whatever the policy is.
  iptables -C INPUT -i "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I INPUT -i "$BRIDGE" -j ACCEPT
  # What leaves the bridge for elsewhere goes out as the host, as from the default engine's
  # bridges: without it the host's DNS server never answers a node, and each Swarm task (its
  # engine tries a registry pull first) waited ~20 s for the lookup to time out.
  iptables -t nat -C POSTROUTING -s 10.250.0.0/24 ! -o "$BRIDGE" -j MASQUERADE 2>/dev/null ||
    iptables -t nat -A POSTROUTING -s 10.250.0.0/24 ! -o "$BRIDGE" -j MASQUERADE
}

up_ssh_keys() {
  mkdir -p "$SSH_DIR" /run/sshd
  chmod 755 "$RUN" "$SSH_DIR"
  [ -f "$SSH_DIR/ssh_host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C switchyard-test-nodes -f "$SSH_DIR/ssh_host_ed25519_key"
  [ -f "$SSH_DIR/id_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C switchyard-test-client -f "$SSH_DIR/id_ed25519"
  # One authorized_keys per node: each key line forces that node's engine, in
  # case a client's environment overrides what SetEnv gives the session.
  for n in "${ALL_NODES[@]}"; do
    printf 'environment="DOCKER_HOST=unix://%s" %s\n' "$(sock "$n")" "$(cat "$SSH_DIR/id_ed25519.pub")" \
      >"$SSH_DIR/authorized_keys-$n.tmp"
    mv "$SSH_DIR/authorized_keys-$n.tmp" "$SSH_DIR/authorized_keys-$n"
  done
  # For people and the docker CLI on this machine: `ssh -F $SSH_DIR/ssh_config root@10.250.0.11`,
  # or PATH=$SSH_DIR/bin:$PATH docker -H ssh://root@10.250.0.11 info.
  : >"$SSH_DIR/known_hosts.tmp"
  for n in "${ALL_NODES[@]}"; do
    echo "$(addr "$n") $(cut -d' ' -f1,2 "$SSH_DIR/ssh_host_ed25519_key.pub")" >>"$SSH_DIR/known_hosts.tmp"
  done
  mv "$SSH_DIR/known_hosts.tmp" "$SSH_DIR/known_hosts"
  cat >"$SSH_DIR/ssh_config" <<CFG
Host 10.250.0.*
  User root
  IdentityFile $SSH_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SSH_DIR/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
CFG
  mkdir -p "$SSH_DIR/bin"
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$SSH_DIR/ssh_config" >"$SSH_DIR/bin/ssh"
  chmod 755 "$SSH_DIR/bin/ssh"
}

# --- one node --------------------------------------------------------------

up_netns() {
  local n=$1 i veth
  i=$(idx "$n")
  veth=vsy$i
  [ -e "/var/run/netns/$n" ] || ip netns add "$n"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$n"
  fi
  ip link set "$veth" master "$BRIDGE"
  ip link set "$veth" up
  local ns=(nsenter "--net=/var/run/netns/$n")
  "${ns[@]}" ip link set lo up
  [[ $("${ns[@]}" ip addr show dev eth0) == *"inet $(addr "$n")/24 "* ]] || "${ns[@]}" ip addr add "$(addr "$n")/24" dev eth0
  "${ns[@]}" ip link set eth0 up
  "${ns[@]}" ip route replace default via 10.250.0.1
}

up_engine() {
  local n=$1 i dir log started=
  i=$(idx "$n")
  dir=$RUN/$n
  log=$dir/dockerd.log
  mkdir -p "$dir" "$DATA/$n"
  if engine_up "$n"; then
    return
  fi
  if pid_alive "$dir/docker.pid"; then
    # Started but not answering yet (e.g. another `up` is starting it): wait below.
    :
  else
    echo "$n: starting dockerd (log: $log)"
    # ip netns exec would remount /sys and dockerd would find no cgroups: only the net
    # namespace, plus a UTS namespace so that the engine (and its Swarm node) is named swnN.
    # The key path (a config-file-only setting in 20.10) gives each engine its own ID; by
    # default all would share /etc/docker/key.json, hence the default engine's ID.
    printf '{ "deprecated-key-path": "%s" }\n' "$DATA/$n/key.json" >"$dir/daemon.json"
    nohup setsid nsenter "--net=/var/run/netns/$n" unshare --uts \
      sh -c 'hostname "$0" && exec dockerd "$@"' "$n" \
      -H "unix://$(sock "$n")" \
      --config-file "$dir/daemon.json" \
      --data-root "$DATA/$n" \
      --exec-root "$dir/exec" \
      --pidfile "$dir/docker.pid" \
      --storage-driver overlay2 \
      --bip "10.251.1$i.1/24" \
      --default-address-pool "base=10.252.$((i * 16)).0/20,size=28" \
      >"$log" 2>&1 </dev/null &
    # Every link of that chain execs the next: this is dockerd's pid.
    started=$!
  fi
  for _ in $(seq 1 120); do
    engine_up "$n" && return
    if [ -n "$started" ] && ! kill -0 "$started" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  echo "--- last lines of $log" >&2
  tail -n 40 "$log" >&2 || true
  die "$n: dockerd did not answer within 60s (or exited)"
}

up_images() {
  local n=$1 img want have
  for img in "${IMAGES[@]}"; do
    want=$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null) ||
      die "$img missing on the default engine (run test/support/images/build.sh)"
    have=$(dk "$n" image inspect --format '{{.Id}}' "$img" 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
      echo "$n: loading $img"
      docker save "$img" | dk "$n" load -q >/dev/null
    fi
  done
}

up_sshd() {
  local n=$1 cfg
  cfg=$SSH_DIR/sshd_config-$n
  cat >"$cfg.tmp" <<CFG
ListenAddress $(addr "$n"):22
HostKey $SSH_DIR/ssh_host_ed25519_key
PidFile $SSH_DIR/sshd-$n.pid
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $SSH_DIR/authorized_keys-$n
PermitUserEnvironment DOCKER_HOST
SetEnv DOCKER_HOST=unix://$(sock "$n")
AllowUsers root
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxStartups 100:30:200
Subsystem sftp internal-sftp
LogLevel VERBOSE
CFG
  mv "$cfg.tmp" "$cfg"
  if sshd_up "$n"; then
    return
  fi
  if pid_alive "$SSH_DIR/sshd-$n.pid"; then
    kill "$(cat "$SSH_DIR/sshd-$n.pid")" 2>/dev/null || true
    sleep 0.2
  fi
  /usr/sbin/sshd -t -f "$cfg"
  echo "$n: starting sshd on $(addr "$n"):22"
  nsenter "--net=/var/run/netns/$n" /usr/sbin/sshd -f "$cfg" -E "$SSH_DIR/sshd-$n.log" </dev/null >/dev/null 2>&1
  for _ in $(seq 1 50); do
    sshd_up "$n" && return
    sleep 0.1
  done
  tail -n 20 "$SSH_DIR/sshd-$n.log" >&2 || true
  die "$n: sshd did not listen on $(addr "$n"):22"
}

# --- commands ---------------------------------------------------------------

cmd_up() {
  local nodes n
  read -ra nodes <<<"$(nodes_from_args "$@")"
  up_bridge
  up_ssh_keys
  for n in "${nodes[@]}"; do up_netns "$n"; done
  # Engines start in parallel: each takes a few seconds on its own.
  local pids=() rc=0
  for n in "${nodes[@]}"; do
    up_engine "$n" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [ "$rc" -eq 0 ] || die "an engine did not start"
  for n in "${nodes[@]}"; do
    up_images "$n"
    up_sshd "$n"
  done
  cmd_status "${nodes[@]}"
}

cmd_status() {
  local nodes n bad=0 engine swarm ssh
  read -ra nodes <<<"$(nodes_from_args "$@")"
  for n in "${nodes[@]}"; do
    if [ ! -e "/var/run/netns/$n" ]; then
      printf '%s %-12s netns missing\n' "$n" "$(addr "$n")"
      bad=1
      continue
    fi
    if engine_up "$n"; then
      engine=up
      swarm=$(dk "$n" info --format '{{.Swarm.LocalNodeState}}{{if .Swarm.ControlAvailable}} (manager){{end}}' 2>/dev/null || echo '?')
    else
      engine=DOWN
      swarm=-
      bad=1
    fi
    if sshd_up "$n"; then ssh=up; else
      ssh=DOWN
      bad=1
    fi
    printf '%s %-12s engine %-4s swarm %-18s sshd %s\n' "$n" "$(addr "$n")" "$engine" "$swarm" "$ssh"
  done
  return "$bad"
}

cmd_reset() {
  local nodes n
  read -ra nodes <<<"$(nodes_from_args "$@")"
  for n in "${nodes[@]}"; do
    engine_up "$n" || {
      echo "$n: engine down, skipped"
      continue
    }
    local svcs
    svcs=$(dk "$n" service ls -q 2>/dev/null || true)
    [ -z "$svcs" ] || dk "$n" service rm $svcs >/dev/null 2>&1 || true
    dk "$n" swarm leave --force >/dev/null 2>&1 || true
  done
  for n in "${nodes[@]}"; do
    engine_up "$n" || continue
    local ctrs
    ctrs=$(dk "$n" ps -aq)
    [ -z "$ctrs" ] || dk "$n" rm -f $ctrs >/dev/null || true
    dk "$n" network prune -f >/dev/null || true
    dk "$n" volume prune -f >/dev/null || true
    echo "$n: reset"
  done
}

cmd_down() {
  local n i
  for n in "${ALL_NODES[@]}"; do
    i=$(idx "$n")
    if pid_alive "$SSH_DIR/sshd-$n.pid"; then
      kill "$(cat "$SSH_DIR/sshd-$n.pid")" 2>/dev/null || true
    fi
    rm -f "$SSH_DIR/sshd-$n.pid"
    local pidf=$RUN/$n/docker.pid
    if pid_alive "$pidf"; then
      local pid
      pid=$(cat "$pidf")
      echo "$n: stopping dockerd ($pid)"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    ip link del "vsy$i" 2>/dev/null || true
    [ ! -e "/var/run/netns/$n" ] || ip netns del "$n"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  while iptables -D DOCKER-USER -i "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  while iptables -D DOCKER-USER -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  while iptables -D INPUT -i "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  while iptables -t nat -D POSTROUTING -s 10.250.0.0/24 ! -o "$BRIDGE" -j MASQUERADE 2>/dev/null; do :; done
  echo "nodes down"
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down ;;
  status) shift; cmd_status "$@" ;;
  reset) shift; cmd_reset "$@" ;;
  *) die "usage: nodes.sh up|down|status|reset [swn1 … swn5]" ;;
esac

#!/usr/bin/env bash
# Installs every Debian package that l7's build, tests and benchmarks need.
# Idempotent: apt-get runs only when something is missing, and `apt-get update`
# only then. Uses sudo when not root.
set -euo pipefail

packages=(
  # build
  cmake ninja-build pkg-config g++ clang clang-format libclang-rt-14-dev
  # libraries
  libasio-dev libcli11-dev libtomlplusplus-dev libssl-dev zlib1g-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # third-party peers used by the interop tests
  netcat-openbsd python3 procps iproute2
  # DNS peers: dig/nsupdate, named-checkzone, kdig, drill, dnspython, and the
  # reference servers BIND, NSD and Knot (zone transfer interop and bench); Unbound, the
  # reference resolver (interop.dns_resolver, bench/dns/resolver.sh). interop.dns_poisoning
  # also needs ip (iproute2, above) and unshare (util-linux, below) for its network namespace
  bind9 bind9-utils bind9-dnsutils knot knot-dnsutils ldnsutils nsd unbound
  python3-dnspython dnsperf
  # reference servers for the benchmarks (bench/socket: GNU inetd's built-in echo)
  inetutils-inetd util-linux
  # HTTP peers: curl and wget as clients of l7's server; nginx as the server for l7's client
  # (interop.http_client_nginx) and, with h2o, the reference in bench/http/static.sh, whose
  # load generator is wrk; headless Chromium loads the lab pages and the shop's cookies
  curl wget nginx-light h2o wrk chromium fonts-dejavu-core libcrypt-dev
  apache2-utils  # htpasswd -B: the bcrypt password file of interop.http_write
  # mail peers: swaks drives l7's SMTP server (pipelining, AUTH) in interop.mail_smtp;
  # fetchmail reads mail over POP3 in interop.mail_pop3; Dovecot reads l7's Maildirs and is
  # the reference IMAP server; Postfix relays to and from l7 and its smtp-source/smtp-sink
  # drive bench/mail; msmtp and s-nail submit mail; mutt, neomutt and mbsync read it
  swaks fetchmail dovecot-core dovecot-imapd dovecot-pop3d postfix msmtp s-nail mutt neomutt
  isync tmux
  # FTP: vsftpd is the reference server for l7's client and bench/ftp; lftp and tnftp are
  # clients of l7's server (curl and Python's ftplib too); iperf3 gives bench/ftp the
  # loopback's throughput ceiling
  vsftpd lftp tnftp iperf3
  # BitTorrent: reference .torrent writers and readers (mktorrent, transmission-create/show),
  # and real peers for l7's tracker and seed (transmission-daemon, aria2c, python3-libtorrent).
  mktorrent transmission-cli transmission-daemon aria2 python3-libtorrent
  # node, for the one peer Debian does not package: webtorrent's bittorrent-tracker (below)
  nodejs
)
# npm too, unless a nodejs that brings its own (NodeSource's conflicts with Debian's npm) is
# there already.
if ! command -v npm >/dev/null; then
  packages+=(npm)
fi

# npm packages, into a cache directory of their own (tests look there): bittorrent-tracker 9,
# a second tracker (HTTP and UDP) that l7's announces are checked against. Version 11 needs a
# native module downloaded at install time, so 9 it is, without install scripts.
npm_dir=${L7_NPM_DIR:-$HOME/.cache/l7/npm}
npm_packages() {
  if [ -f "$npm_dir/node_modules/bittorrent-tracker/package.json" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    return 0
  fi
  mkdir -p "$npm_dir"
  echo "deps: npm install bittorrent-tracker@9 into $npm_dir"
  (cd "$npm_dir" && npm install --silent --no-audit --no-fund --ignore-scripts --omit=optional \
    bittorrent-tracker@9) || echo "deps: npm install failed; the tests that need it will skip"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  npm_packages
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# The servers among these packages (named, nsd, knotd, unbound, inetd) must not start as
# system daemons: the tests and benchmarks start their own, in the foreground, on their own
# ports. Their maintainer scripts start them through invoke-rc.d unless a policy-rc.d says no
# (containers usually have one; without systemd, /etc/init.d/unbound would also run
# unbound-anchor, which tries the network). So, while apt runs, one is put in place when
# there is none, and removed afterwards.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from l7 scripts/deps.sh: start no service\nexit 101\n' |
    $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi

echo "deps: installing ${missing[*]}"
# Postfix asks how to configure itself; "No configuration" leaves it to the tests.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
npm_packages

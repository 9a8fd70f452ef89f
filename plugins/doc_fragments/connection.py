# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """How every module of the collection reaches its API."""

    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - Seconds one HTTP request may take in all, from connecting to the last byte of the answer, measured on a
        monotonic clock. A server that trickles its answer cannot hold a request longer. Must be above 0.
      - "One request's worst case: (O(retries) + 1) x (O(timeout) + 1 second) for the attempts (a same-host
        redirect shares its attempt's O(timeout)), plus a pause before each retry: at most 30 seconds, or 66
        seconds after an ngrok rate-limit answer (see O(retries))."
    type: float
    default: 10
  retries:
    description:
      - Extra attempts after a connection error, a read time-out, or an HTTP 429, 500, 502, 503 or 504 answer.
      - Pauses between attempts grow exponentially (at most 0.5, 1, 2, 4 ... seconds, with full jitter);
        a C(Retry-After) header in seconds or as an HTTP date, or an C(X-RateLimit-Reset) header (Ping Network),
        is honoured instead, capped at 30 seconds.
      - An HTTP 429 without either header waits out the provider's rate-limit window. ngrok's is a rolling minute,
        so the pause is 60 to 66 seconds; for Ping Network, which publishes no window, 2.5 to 5, 5 to 10, then up
        to 30 seconds. While one request of a batch pauses, the others pause with it.
      - V(0) disables retries. Between 0 and 10.
    type: int
    default: 3
  validate_certs:
    description:
      - Verify the API's TLS certificate.
      - Set to V(false) only for a server you trust; a warning then says that the key could reach an impostor.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM CA bundle to verify the API's certificate with, instead of the system's.
      - A path that does not exist, cannot be read or holds no certificate fails the task before any request.
    type: path
  use_proxy:
    description:
      - Honour the E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY) environment variables.
      - V(false) connects directly whatever they say.
    type: bool
    default: true
notes:
  - The key is sent only to the scheme, host and port of O(api_url). A redirect there is followed;
    a redirect or a C(next_page_uri) naming another host fails the task and is not contacted.
  - The key is never shown in results, messages or C(-vvvv) output; an API message that echoes it is redacted.
  - C(~/.netrc) never replaces the key.
"""

    # api_key and api_url, for every caller of one provider. Where else a plugin reads them from (environment,
    # variables, ansible.cfg) is added by the PLUGINS_* and INVENTORY_* parts: ansible-doc merges the entries of
    # one option from several parts. Every entry here is also a row of module_utils/_options.TABLE; a unit test
    # holds the two together.
    NGROK = r"""
options:
  api_key:
    description:
      - "An ngrok API key (not an agent authtoken). Sent as C(Authorization: Bearer <key>); a key given with
        its C(Bearer) scheme is sent once, not twice."
      - Required. If not set, the value of the E(NGROK_API_KEY) environment variable is used. Without a key,
        nothing is sent and the failure names every way to set it.
      - Give it through the environment, or vaulted, rather than literally.
    type: str
  api_url:
    description:
      - Base URL of the ngrok API.
      - If not set, the value of the E(NGROK_API_URL) environment variable is used, else the default.
      - Only C(http) and C(https) URLs, without credentials, query or fragment.
    type: str
    default: https://api.ngrok.com
  request_budget:
    description:
      - Requests per rolling minute that every process using this ngrok account shares (all tasks, forks,
        lookups, inventory syncs and event sources that send this key to this O(api_url)). Before each request,
        and each retry, the collection takes a slot from one shared window, and waits for the next free one
        when the window already holds this many. ngrok allows 120 per account; give less when other tools
        use the account too.
      - A process whose value is smaller waits when the shared count reaches its own value.
      - A slot frees 61 seconds after it was taken (ngrok counts a request when it arrives). A wait longer than
        5 seconds is a warning.
      - V(0) turns the budget off for this task or plugin.
    type: int
    default: 120
  request_budget_url:
    description:
      - Where the shared window lives. Unset, a file under the temporary directory (E(TMPDIR)), private to the
        user, shared by the processes of this machine.
      - "V(redis://[:password@]host:port/db) (or V(rediss://) for TLS): a Redis server, so that processes on
        several machines (AWX or Automation Controller execution nodes, EDA controller) share one window. Needs
        the C(redis) Python package where the tasks run. A server that cannot be reached, that wants a password the
        URL does not give, or that refuses the one it gives, fails the task, saying which; the message names the
        URL as given with only its password replaced by asterisks. Ansible masks the password (and only it) in
        the module's arguments too."
      - Neither the file nor Redis ever holds the key, only a hash of it and the API's address.
      - If not set, the value of the E(TUNNELS_SESSIONS_BUDGET_URL) environment variable is used.
    type: str
"""

    PING = r"""
options:
  api_key:
    description:
      - A Ping Network API key, sent as the C(Authorization) header exactly as given.
      - Ping Network's API reference sends the bare key, while its API overview shows C(Bearer <token>). Give
        the key alone, or as V(Bearer <key>) when your account needs the scheme; on HTTP 401 the message says
        which form was sent. Neither form is ever shown in output.
      - Required. If not set, the value of the E(PING_NETWORK_API_KEY) environment variable is used. Without a
        key, nothing is sent and the failure names every way to set it.
      - Give it through the environment, or vaulted, rather than literally.
    type: str
  api_url:
    description:
      - Base URL of the Ping Network customer API, base path included.
      - If not set, the value of the E(PING_NETWORK_API_URL) environment variable is used, else the default.
      - Only C(http) and C(https) URLs, without credentials, query or fragment.
    type: str
    default: https://api.pingnetwork.io/customer/v2
"""

    # Lookups: besides their own options, the environment, variables and (URLs only: ansible.cfg is no place
    # for secrets) ansible.cfg, through get_option.
    PLUGINS_NGROK = r"""
options:
  api_key:
    env:
      - name: NGROK_API_KEY
    vars:
      - name: tunnels_sessions_ngrok_api_key
  api_url:
    env:
      - name: NGROK_API_URL
    vars:
      - name: tunnels_sessions_ngrok_api_url
    ini:
      - section: tunnels_sessions
        key: ngrok_api_url
  request_budget:
    description:
      - Requests per rolling minute that every process using this ngrok account shares (tasks, lookups,
        inventory syncs, event sources); a request waits for a free slot instead of being refused. ngrok allows
        120; give less when other tools use the account too. V(0) turns the budget off.
      - See O(tunnels.sessions.ngrok_tunnel_session_info#module:request_budget) for how the window works.
    type: int
    default: 120
    vars:
      - name: tunnels_sessions_ngrok_request_budget
    ini:
      - section: tunnels_sessions
        key: ngrok_request_budget
  request_budget_url:
    description:
      - Where the shared window lives. Unset, a private file under the temporary directory (E(TMPDIR)), shared
        by the processes of this machine; V(redis://[:password@]host:port/db), a Redis server shared by several
        machines (needs the C(redis) Python package). Neither ever holds the key.
    type: str
    env:
      - name: TUNNELS_SESSIONS_BUDGET_URL
    vars:
      - name: tunnels_sessions_request_budget_url
"""

    PLUGINS_PING = r"""
options:
  api_key:
    env:
      - name: PING_NETWORK_API_KEY
    vars:
      - name: tunnels_sessions_ping_network_api_key
  api_url:
    env:
      - name: PING_NETWORK_API_URL
    vars:
      - name: tunnels_sessions_ping_network_api_url
    ini:
      - section: tunnels_sessions
        key: ping_network_api_url
"""

    # Modules and lookups that take many ids.
    BATCH = r"""
options:
  concurrency:
    description:
      - When several sessions are asked for, how many requests are sent at once over one pool of connections.
        Between 1 and 64.
    type: int
    default: 8
"""

    # The inventory: as PLUGINS_NGROK, without variables (inventory options come from the inventory file, the
    # environment and ansible.cfg only).
    INVENTORY_NGROK = r"""
options:
  api_key:
    env:
      - name: NGROK_API_KEY
  api_url:
    env:
      - name: NGROK_API_URL
    ini:
      - section: tunnels_sessions
        key: ngrok_api_url
  request_budget:
    description:
      - Requests per rolling minute that every process using this ngrok account shares (tasks, lookups,
        inventory syncs, event sources); a request waits for a free slot instead of being refused. ngrok allows
        120; give less when other tools use the account too. V(0) turns the budget off.
      - See O(tunnels.sessions.ngrok_tunnel_session_info#module:request_budget) for how the window works.
    type: int
    default: 120
    ini:
      - section: tunnels_sessions
        key: ngrok_request_budget
  request_budget_url:
    description:
      - Where the shared window lives. Unset, a private file under the temporary directory (E(TMPDIR)), shared
        by the processes of this machine; V(redis://[:password@]host:port/db), a Redis server shared by several
        machines (needs the C(redis) Python package). Neither ever holds the key.
    type: str
    env:
      - name: TUNNELS_SESSIONS_BUDGET_URL
"""

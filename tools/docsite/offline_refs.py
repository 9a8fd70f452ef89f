# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sphinx extension for building the docsite offline: references into Ansible's own documentation.

Intersphinx cannot fetch Ansible's inventory here, so references to Ansible's docs would stay unresolved.
This resolves exactly those (other collections' plugins, Ansible's configuration settings and environment
variables, the common return values) to their pages on docs.ansible.com; any other unresolved reference
is left alone, so a broken reference of our own still fails the build.
"""

import re

from docutils import nodes

DOCS = "https://docs.ansible.com/ansible/latest/"
PLUGIN_LABEL = re.compile(r"^ansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+)_([a-z_]+)$")
PAGES = {
    "ansible_configuration_settings": "reference_appendices/config.html",
    "common_return_values": "reference_appendices/common_return_values.html",
}
OWN_NAMESPACE = "tunnels"


def target_url(reftype, target):
    if reftype == "envvar" and target.startswith("ANSIBLE_"):
        return DOCS + "reference_appendices/config.html#envvar-" + target
    if reftype != "ref":
        return None
    if target in PAGES:
        return DOCS + PAGES[target]
    match = PLUGIN_LABEL.match(target)
    if match and match.group(1) != OWN_NAMESPACE:
        namespace, collection, name, kind = match.groups()
        return DOCS + "collections/%s/%s/%s_%s.html" % (namespace, collection, name, kind)
    return None


def resolve(app, env, node, contnode):  # pylint: disable=unused-argument
    url = target_url(node.get("reftype"), node.get("reftarget", ""))
    if url is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference.append(contnode if contnode is not None else nodes.Text(node.get("reftarget", "")))
    return reference


def setup(app):
    app.connect("missing-reference", resolve)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

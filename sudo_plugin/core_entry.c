/*
 * core_entry.c — the one exported symbol of sudo_approverd_core.so (map:
 * sudo_approverd_core.map): the approval and audit plugins of approval.c
 * and audit.c, for the front (front.c) to forward to. sudo never loads
 * this file itself.
 */
#include "coreload.h"
#include "plugin.h"

static struct approval_plugin core_approval = {
    .type = SUDO_APPROVAL_PLUGIN,
    .version = SUDO_API_VERSION,
    .open = approval_open,
    .close = approval_close,
    .check = approval_check,
    .show_version = approval_show_version,
};

static struct audit_plugin core_audit = {
    .type = SUDO_AUDIT_PLUGIN,
    .version = SUDO_API_VERSION,
    .open = audit_open,
    .close = audit_close,
};

const struct ad_sudo_core approverd_sudo_core;
const struct ad_sudo_core approverd_sudo_core = {
    .head = {.abi = AD_CORE_ABI, .version = APPROVERD_VERSION},
    .approval = &core_approval,
    .audit = &core_audit,
};

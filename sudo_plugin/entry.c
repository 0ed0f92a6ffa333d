/*
 * entry.c — the only exported symbols of sudo_approverd.so: the approval
 * plugin and the audit plugin (sudo_plugin(5), API 1.x). Everything else is
 * local (sudo_approverd.map) and lives in approval.c, audit.c and common/.
 */
#include "plugin.h"

struct approval_plugin approverd_approval;
struct audit_plugin approverd_audit;

struct approval_plugin approverd_approval = {
    .type = SUDO_APPROVAL_PLUGIN,
    .version = SUDO_API_VERSION,
    .open = approval_open,
    .close = approval_close,
    .check = approval_check,
    .show_version = approval_show_version,
};

struct audit_plugin approverd_audit = {
    .type = SUDO_AUDIT_PLUGIN,
    .version = SUDO_API_VERSION,
    .open = audit_open,
    .close = audit_close,
};

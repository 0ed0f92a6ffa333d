/*
 * entry.c — the only exported symbols of sudo_approverd.so: the approval
 * plugin and the audit plugin (sudo_plugin(5), API 1.x). Everything else is
 * local (sudo_approverd.map). These are the front (front.c): humans pass
 * here; everyone else goes to sudo_approverd_core.so (core_entry.c).
 */
#include "plugin.h"

struct approval_plugin approverd_approval;
struct audit_plugin approverd_audit;

struct approval_plugin approverd_approval = {
    .type = SUDO_APPROVAL_PLUGIN,
    .version = SUDO_API_VERSION,
    .open = front_open,
    .close = front_close,
    .check = front_check,
    .show_version = front_show_version,
};

struct audit_plugin approverd_audit = {
    .type = SUDO_AUDIT_PLUGIN,
    .version = SUDO_API_VERSION,
    .open = front_audit_open,
    .close = front_audit_close,
};

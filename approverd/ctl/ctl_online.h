/* ctl_online.h — helpers shared by the online approverctl commands. */
#ifndef APPROVERCTL_CTL_ONLINE_H
#define APPROVERCTL_CTL_ONLINE_H

#include <jansson.h>

/* Send msg (consumed) to approverd; on CTL_EXIT_OK *reply is the answer.
 * Otherwise the reason is printed and the exit code returned. */
int ctl_call(json_t *msg, json_t **reply);
/* {"v":1,"op":op,"id":id} (id may be NULL). */
json_t *ctl_msg_id(const char *op, const char *id);
/* Escaped copy of a string field ("" when absent); free() it. */
char *ctl_esc(const json_t *o, const char *key);

/* The `show --json` object of request id. */
int ctl_fetch_show(const char *id, json_t **show);

/* Submit a token (id NULL = the token's own request); prints the outcome. */
int ctl_submit_token(const char *token, const char *id);
/* The same; json: print the reply object instead of the summary. */
int ctl_submit_token_as(const char *token, const char *id, int json);

#endif

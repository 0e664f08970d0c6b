/*
 * Operator messages to a merchant, link-1 side: MESSAGE <id> hands the
 * text of a message the MESSAGE signal announced, to that merchant only.
 * Storing and announcing are the operator command's (operator.c).
 */
#ifndef GW_CTL_MESSAGE_H
#define GW_CTL_MESSAGE_H

#include "ctl.h"
#include "gw_link.h"

/* MESSAGE <id> 0.  0 once answered, or -EIO. */
int gw_message_handle(struct gw_conn *c, struct gw_link_msg *m);

#endif

/* The socket calls the library watches (net_hook.c). */
#ifndef PINSHIM_NET_HOOK_H
#define PINSHIM_NET_HOOK_H

/* The socket this thread last sent or received on with the socket calls
 * (send, recv, sendto, recvfrom, sendmsg, recvmsg), or -1. */
int net_last_socket(void);

/* The most recent of that and the socket it last connected, or -1. */
int net_recent_socket(void);

#endif

/*
 * Domain control requests and their outcomes: what the SNMP side asks
 * the connection to do (xen_conn_control_submit) and what the
 * connection's control thread reports back (xen_conn_control_take).
 * A request names its domain twice, by the domain id the snapshot saw
 * and by the UUID it must still hold when the driver acts, so a reused
 * domain id never redirects it.
 */
#ifndef XEN_CONTROL_H
#define XEN_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

enum xen_control_op {
	XEN_CONTROL_PAUSE = 1,
	XEN_CONTROL_UNPAUSE,
	XEN_CONTROL_SHUTDOWN,		/* ask the guest to power off */
	XEN_CONTROL_REBOOT,		/* ask the guest to reboot */
	XEN_CONTROL_DESTROY,
	XEN_CONTROL_MEM_TARGET,		/* value: KiB */
	XEN_CONTROL_VCPUS,		/* value: vCPUs to have online */
};

struct xen_control_request {
	uint64_t id;		/* the caller's number for it, echoed back */
	enum xen_control_op op;
	uint32_t domid;		/* where the snapshot saw the domain */
	uint8_t uuid[16];	/* the hypervisor handle it must hold; nil: Domain-0 */
	char name[64];		/* for log lines and errors only */
	uint64_t value;
};

struct xen_control_outcome {
	uint64_t id;
	bool ok;
	char detail[256];	/* why it failed; "" on success */
	double act_seconds;	/* the driver's call */
	double seen_seconds;	/* from the call to a snapshot taken after it; <0: none within the wait */
};

/* What a driver's control operation returns. */
enum xen_control_rc {
	XEN_CONTROL_OK = 0,
	XEN_CONTROL_FAILED = -1,	/* this request failed; the connection is fine */
	XEN_CONTROL_LOST = -2,		/* the driver's connection is gone: reopen it */
};

/* "pause", "set memory target" ...: for log lines. */
const char *xen_control_op_name(enum xen_control_op op);

#endif

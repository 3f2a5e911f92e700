/*
 * Object identifiers and enumerations of XEN-DOMAIN-MIB, as the agent
 * serves them.  mib/XEN-DOMAIN-MIB.txt is the normative text; the test
 * tests/integration/test_mib_oids.sh checks that the two agree.
 *
 * The enterprise arc is provisional (no IANA Private Enterprise Number
 * has been assigned yet).  It is defined here and in the MIB's
 * MODULE-IDENTITY only; see docs/mib.md.
 */
#ifndef XENSNMP_OIDS_H
#define XENSNMP_OIDS_H

#define XENSNMP_ENTERPRISE      1, 3, 6, 1, 4, 1, 99999
/* xdmMIB ::= { enterprises 99999 1 } */
#define XENSNMP_MIB_OID         XENSNMP_ENTERPRISE, 1
#define XENSNMP_OBJECTS_OID     XENSNMP_MIB_OID, 1

/* xdmHost ::= { xdmObjects 1 }: scalars, each served as .0 */
#define XENSNMP_HOST_OID        XENSNMP_OBJECTS_OID, 1
enum xensnmp_host_scalar {
	XENHOST_XEN_VERSION = 1,     /* DisplayString */
	XENHOST_NAME = 2,            /* DisplayString */
	XENHOST_CPUS = 3,            /* Gauge32 */
	XENHOST_CPU_MHZ = 4,         /* Gauge32, MHz */
	XENHOST_TOTAL_MEMORY = 5,    /* Gauge32, MiB */
	XENHOST_FREE_MEMORY = 6,     /* Gauge32, MiB */
	XENHOST_DOMAIN_COUNT = 7,    /* Gauge32 */
	XENHOST_ACCESS_MODE = 8,     /* XenAccessMode */
	XENHOST_DRIVERS = 9,         /* XenDataSources (BITS) */
	XENHOST_LAST_REFRESH = 10,   /* DateAndTime of the snapshot served */
	XENHOST_SNAPSHOT_STATE = 11, /* fresh(1) | stale(2) */
	XENHOST_REFRESH_INTERVAL = 12, /* Unsigned32, seconds */
	XENHOST_UNAVAILABLE = 13,    /* DisplayString: what cannot be read, and why */
};

/* xdmDomainTable ::= { xdmObjects 2 }, entry .1, INDEX { xdmDomainIndex } */
#define XENSNMP_DOMAIN_TABLE_OID XENSNMP_OBJECTS_OID, 2
enum xensnmp_domain_column {
	XENDOM_INDEX = 1,            /* not-accessible */
	XENDOM_ID = 2,               /* Integer32 (-1..65535), -1 = not running */
	XENDOM_NAME = 3,             /* XenUtf8String */
	XENDOM_UUID = 4,             /* XenUuidOrZero */
	XENDOM_STATE = 5,            /* XenDomainState */
	XENDOM_SHUTDOWN_REASON = 6,  /* XenShutdownReason */
	XENDOM_OS_TYPE = 7,          /* DisplayString */
	XENDOM_MEM_CURRENT = 8,      /* Gauge32, KiB */
	XENDOM_MEM_TARGET = 9,       /* Gauge32, KiB */
	XENDOM_MEM_MAX = 10,         /* Gauge32, KiB */
	XENDOM_VCPUS_ONLINE = 11,    /* Gauge32 */
	XENDOM_VCPUS_MAX = 12,       /* Gauge32 */
	XENDOM_CPU_TIME = 13,        /* Counter64, nanoseconds */
	XENDOM_UPTIME = 14,          /* Unsigned32, seconds */
	XENDOM_START_TIME = 15,      /* DateAndTime */
	XENDOM_DATA_SOURCES = 16,    /* XenDataSources (BITS) */
	/* control columns: read-write, implemented by the control module */
	XENDOM_ACTION = 20,          /* XenDomainAction, reads noAction(1) */
	XENDOM_SET_MEM_TARGET = 21,  /* Unsigned32, KiB, reads 0 */
	XENDOM_SET_VCPUS = 22,       /* Unsigned32, reads 0 */
	XENDOM_LAST_ACTION_RESULT = 23, /* XenActionResult, read-only */
};
#define XENDOM_FIRST_COLUMN XENDOM_ID
#define XENDOM_LAST_COLUMN  XENDOM_LAST_ACTION_RESULT

/* xdmVcpuTable ::= { xdmObjects 3 }, INDEX { xdmDomainIndex, xdmVcpuIndex } */
#define XENSNMP_VCPU_TABLE_OID  XENSNMP_OBJECTS_OID, 3
enum xensnmp_vcpu_column {
	XENVCPU_INDEX = 1,           /* not-accessible, Unsigned32 (0..) = vCPU number */
	XENVCPU_AVAILABILITY = 2,    /* online(1) | offline(2) | unknown(3): requested */
	XENVCPU_STATE = 3,           /* XenVcpuState: running(1) blocked(2) offline(3) unknown(4) */
	XENVCPU_CPU_TIME = 4,        /* Counter64, nanoseconds */
	XENVCPU_PHYS_CPU = 5,        /* Integer32, -1 = none */
	XENVCPU_DATA_SOURCES = 6,    /* XenDataSources */
};

/* xdmVifTable ::= { xdmObjects 4 }, INDEX { xdmDomainIndex, xdmVifDevId } */
#define XENSNMP_VIF_TABLE_OID   XENSNMP_OBJECTS_OID, 4
enum xensnmp_vif_column {
	XENVIF_DEVID = 1,            /* not-accessible, Unsigned32 (0..) */
	XENVIF_MAC = 2,              /* PhysAddress */
	XENVIF_BRIDGE = 3,           /* DisplayString */
	XENVIF_IFNAME = 4,           /* DisplayString: backend netdev name */
	XENVIF_BACKEND_DOMAIN = 5,   /* Integer32 */
	XENVIF_STATE = 6,            /* XenbusState */
	XENVIF_SCRIPT = 7,           /* DisplayString */
	XENVIF_RX_BYTES = 8,         /* Counter64, guest's point of view */
	XENVIF_RX_PACKETS = 9,
	XENVIF_RX_ERRORS = 10,
	XENVIF_RX_DROPS = 11,
	XENVIF_TX_BYTES = 12,
	XENVIF_TX_PACKETS = 13,
	XENVIF_TX_ERRORS = 14,
	XENVIF_TX_DROPS = 15,
};

/* xdmVbdTable ::= { xdmObjects 5 }, INDEX { xdmDomainIndex, xdmVbdDevId } */
#define XENSNMP_VBD_TABLE_OID   XENSNMP_OBJECTS_OID, 5
enum xensnmp_vbd_column {
	XENVBD_DEVID = 1,            /* not-accessible, Unsigned32 (0..) */
	XENVBD_DEV = 2,              /* DisplayString, e.g. xvda */
	XENVBD_PARAMS = 3,           /* DisplayString: image path or target */
	XENVBD_MODE = 4,             /* readOnly(1) | readWrite(2) | unknown(3) */
	XENVBD_DEVICE_TYPE = 5,      /* disk(1) | cdrom(2) | other(3) | unknown(4) */
	XENVBD_BACKEND_TYPE = 6,     /* DisplayString: vbd, qdisk, tap */
	XENVBD_BACKEND_DOMAIN = 7,   /* Integer32 */
	XENVBD_STATE = 8,            /* XenbusState */
	XENVBD_RD_REQS = 9,          /* Counter64 */
	XENVBD_WR_REQS = 10,         /* Counter64 */
	XENVBD_RD_BYTES = 11,        /* Counter64 */
	XENVBD_WR_BYTES = 12,        /* Counter64 */
	XENVBD_OO_REQS = 13,         /* Counter64 */
};

/* XenDomainState */
enum xensnmp_domain_state {
	XENSNMP_STATE_UNKNOWN = 1,
	XENSNMP_STATE_RUNNING = 2,
	XENSNMP_STATE_BLOCKED = 3,
	XENSNMP_STATE_PAUSED = 4,
	XENSNMP_STATE_SHUTDOWN = 5,
	XENSNMP_STATE_CRASHED = 6,
	XENSNMP_STATE_DYING = 7,
	XENSNMP_STATE_SHUTOFF = 8,
};

/* XenShutdownReason */
enum xensnmp_shutdown_reason {
	XENSNMP_SHUTDOWN_NONE = 1,
	XENSNMP_SHUTDOWN_POWEROFF = 2,
	XENSNMP_SHUTDOWN_REBOOT = 3,
	XENSNMP_SHUTDOWN_SUSPEND = 4,
	XENSNMP_SHUTDOWN_CRASH = 5,
	XENSNMP_SHUTDOWN_WATCHDOG = 6,
	XENSNMP_SHUTDOWN_SOFT_RESET = 7,
	XENSNMP_SHUTDOWN_UNKNOWN = 8,
};

/* XenAccessMode */
enum xensnmp_access_mode {
	XENSNMP_ACCESS_READ_ONLY = 1,
	XENSNMP_ACCESS_READ_WRITE = 2,
};

/* XenDataSources BITS: bit n is set when driver n supplied data */
enum xensnmp_source_bit {
	XENSNMP_SOURCE_XENSTORE = 0,
	XENSNMP_SOURCE_XEND = 1,
	XENSNMP_SOURCE_HYPERVISOR = 2,
	XENSNMP_SOURCE_DOM0_STATS = 3,
};

/* XenDomainAction */
enum xensnmp_domain_action {
	XENSNMP_ACTION_NONE = 1,
	XENSNMP_ACTION_PAUSE = 2,
	XENSNMP_ACTION_UNPAUSE = 3,
	XENSNMP_ACTION_SHUTDOWN = 4,
	XENSNMP_ACTION_REBOOT = 5,
	XENSNMP_ACTION_DESTROY = 6,
};

/* XenActionResult */
enum xensnmp_action_result {
	XENSNMP_RESULT_NONE = 1,
	XENSNMP_RESULT_SUCCESS = 2,
	XENSNMP_RESULT_FAILED = 3,
	XENSNMP_RESULT_IN_PROGRESS = 4,
};

/* XenVcpuState */
enum xensnmp_vcpu_state {
	XENSNMP_VCPU_RUNNING = 1,
	XENSNMP_VCPU_BLOCKED = 2,
	XENSNMP_VCPU_OFFLINE = 3,
	XENSNMP_VCPU_UNKNOWN = 4,
};

#endif

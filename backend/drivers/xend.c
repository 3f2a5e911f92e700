/*
 * The xend driver: the legacy toolstack daemon of Xen 3.x to 4.4, read
 * through its SXP-over-HTTP server (unix socket or TCP).  It only reads:
 * the running domains, the managed domains that are not running, and the
 * host.  xend sends no change notifications, so every gathering re-reads
 * everything (three requests).  A xend that hangs holds a request for up
 * to XEND_TIMEOUT_MS: the connection gathers it on a thread of its own
 * (own_thread), so the other sources are not held back meanwhile.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <curl/curl.h>

#include "core/xen_alloc.h"
#include "core/xen_driver.h"
#include "parse/xend_sxp.h"

#define XEND_DEFAULT_URL "unix:/var/lib/xend/xend-socket"
#define XEND_CONNECT_TIMEOUT_MS 2000L
#define XEND_TIMEOUT_MS 5000L	/* for one request, and for a whole gathering */
#define XEND_MAX_REPLY (16u * 1024 * 1024)

struct xend_drv {
	CURL *curl;
	struct curl_slist *headers;
	char *url;		/* as configured, for messages */
	char *base;		/* "http://host:port" or "http://localhost" */
	char *socket_path;	/* NULL for TCP */
	struct xen_log_queue *log;
	uint64_t requests;
	struct timespec deadline;	/* of the current gathering */
	/* the body being received */
	char *body;
	size_t len, cap;
	bool too_big;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void init_curl(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xend_drv *d = arg;
	size_t n = size * nmemb;

	if (n > XEND_MAX_REPLY - d->len) {
		d->too_big = true;
		return 0;	/* aborts the transfer */
	}
	xen_grow(&d->body, &d->cap, d->len + n + 1, 1);
	memcpy(d->body + d->len, data, n);
	d->len += n;
	d->body[d->len] = '\0';
	return n;
}

static void start_clock(struct xend_drv *d)
{
	clock_gettime(CLOCK_MONOTONIC, &d->deadline);
	d->deadline.tv_sec += XEND_TIMEOUT_MS / 1000;
	d->deadline.tv_nsec += (XEND_TIMEOUT_MS % 1000) * 1000000L;
	if (d->deadline.tv_nsec >= 1000000000L) {
		d->deadline.tv_sec++;
		d->deadline.tv_nsec -= 1000000000L;
	}
}

/* ms left before the deadline; at least 1 so that curl does time out */
static long ms_left(const struct xend_drv *d)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(d->deadline.tv_sec - now.tv_sec) * 1000 +
	     (d->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 1 ? 1 : ms;
}

/*
 * GET path within what is left of the deadline; 0 with the body in
 * d->body/d->len, or -1 with *why.
 * *status gets the HTTP status (0 when none arrived).
 */
static int http_get(struct xend_drv *d, const char *path, long *status,
		    char *why, size_t why_len)
{
	char url[1024];
	CURLcode rc;

	*status = 0;
	d->len = 0;
	d->too_big = false;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", d->base, path) >= sizeof(url)) {
		snprintf(why, why_len, "xend %s: URL too long", d->url);
		return -1;
	}
	curl_easy_setopt(d->curl, CURLOPT_URL, url);
	curl_easy_setopt(d->curl, CURLOPT_TIMEOUT_MS, ms_left(d));
	d->requests++;
	rc = curl_easy_perform(d->curl);
	if (rc != CURLE_OK) {
		if (d->too_big || rc == CURLE_FILESIZE_EXCEEDED)
			snprintf(why, why_len,
				 "xend %s: reply to %s larger than %u bytes",
				 d->url, path, XEND_MAX_REPLY);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			snprintf(why, why_len,
				 "xend %s: no reply to %s within %ld ms", d->url,
				 path, XEND_TIMEOUT_MS);
		else
			snprintf(why, why_len, "xend %s: %s", d->url,
				 curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, status);
	if (*status < 200 || *status > 299) {
		snprintf(why, why_len, "xend %s: GET %s: HTTP status %ld",
			 d->url, path, *status);
		return -1;
	}
	return 0;
}

static void xend_close(void *priv)
{
	struct xend_drv *d = priv;

	if (!d)
		return;
	if (d->curl)
		curl_easy_cleanup(d->curl);
	curl_slist_free_all(d->headers);
	free(d->url);
	free(d->base);
	free(d->socket_path);
	free(d->body);
	free(d);
}

/* "unix:PATH" or "http://host[:port][/]" into base URL and socket. */
static int parse_url(struct xend_drv *d, const char *url)
{
	size_t len;

	if (strncmp(url, "unix:", 5) == 0 && url[5] == '/') {
		d->socket_path = xen_strdup(url + 5);
		d->base = xen_strdup("http://localhost");
		return d->socket_path && d->base ? 0 : -1;
	}
	if (strncmp(url, "http://", 7) == 0 && url[7] && url[7] != '/') {
		len = strlen(url);
		while (len > 7 && url[len - 1] == '/')
			len--;
		d->base = xen_strndup(url, len);
		return d->base ? 0 : -1;
	}
	return -1;
}

static int setup_curl(struct xend_drv *d)
{
	int ok = CURLE_OK;

	d->curl = curl_easy_init();
	if (!d->curl)
		return -1;
	/* xend answers SXP, not HTML, to a client that asks for it */
	d->headers = curl_slist_append(NULL, "Accept: application/sxp");
	if (!d->headers)
		return -1;
	ok |= curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, d->headers);
	ok |= curl_easy_setopt(d->curl, CURLOPT_NOSIGNAL, 1L);
	ok |= curl_easy_setopt(d->curl, CURLOPT_CONNECTTIMEOUT_MS,
			       XEND_CONNECT_TIMEOUT_MS);
	ok |= curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, on_data);
	ok |= curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, d);
	ok |= curl_easy_setopt(d->curl, CURLOPT_ACCEPT_ENCODING, "identity");
	ok |= curl_easy_setopt(d->curl, CURLOPT_MAXFILESIZE_LARGE,
			       (curl_off_t)XEND_MAX_REPLY);
#if LIBCURL_VERSION_NUM >= 0x075500
	ok |= curl_easy_setopt(d->curl, CURLOPT_PROTOCOLS_STR, "http");
#else
	ok |= curl_easy_setopt(d->curl, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
	if (d->socket_path)
		ok |= curl_easy_setopt(d->curl, CURLOPT_UNIX_SOCKET_PATH,
				       d->socket_path);
	return ok == CURLE_OK ? 0 : -1;
}

static void *xend_open(const struct xen_driver_env *env, char *why,
		       size_t why_len)
{
	const char *url = env->xend_url ? env->xend_url : XEND_DEFAULT_URL;
	struct xen_host host = { 0 };
	struct xend_drv *d;
	long status;

	pthread_once(&curl_once, init_curl);
	if (curl_init_rc != CURLE_OK) {
		snprintf(why, why_len, "xend: libcurl: %s",
			 curl_easy_strerror(curl_init_rc));
		return NULL;
	}
	d = xen_calloc(1, sizeof(*d));
	if (!d || !(d->url = xen_strdup(url))) {
		free(d);
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	d->log = env->log;
	if (parse_url(d, url) < 0) {
		snprintf(why, why_len,
			 "xend %s: not a xend address (unix:/PATH or http://HOST:PORT)",
			 url);
		xend_close(d);
		return NULL;
	}
	if (setup_curl(d) < 0) {
		snprintf(why, why_len, "xend %s: libcurl setup failed", url);
		xend_close(d);
		return NULL;
	}
	/* one probe: is there a xend that answers SXP? */
	start_clock(d);
	if (http_get(d, "/xend/node/", &status, why, why_len) < 0) {
		xend_close(d);
		return NULL;
	}
	if (xend_parse_node(d->body, d->len, &host, why, why_len) < 0) {
		char inner[200];

		snprintf(inner, sizeof(inner), "%s", why);
		snprintf(why, why_len, "xend %s: /xend/node/: %s", url, inner);
		xen_bytes_clear(&host.xen_version);
		xen_bytes_clear(&host.name);
		xend_close(d);
		return NULL;
	}
	xen_log(d->log, XEN_LOG_INFO, "xend: connected to %s (Xen %s)", url,
		xen_bytes_known(&host.xen_version) ? host.xen_version.data : "?");
	xen_bytes_clear(&host.xen_version);
	xen_bytes_clear(&host.name);
	return d;
}

static int reply_error(struct xend_drv *d, const char *path, char *why,
		       size_t why_len)
{
	char inner[200];

	snprintf(inner, sizeof(inner), "%s", why);
	snprintf(why, why_len, "xend: %s in reply to %s (%s)", inner, path,
		 d->url);
	return -1;
}

static int xend_gather(void *priv, const struct xen_snapshot *prev,
		       const struct xen_dirty *dirty, struct xen_snapshot *out,
		       char *why, size_t why_len)
{
	static const char running[] = "/xend/domain?detail=1";
	static const char halted[] = "/xend/domain?detail=1&state=halted";
	static const char node[] = "/xend/node/";
	struct xend_drv *d = priv;
	long status;
	size_t i;

	(void)prev;
	(void)dirty;
	start_clock(d);
	if (http_get(d, node, &status, why, why_len) < 0)
		return -1;
	if (xend_parse_node(d->body, d->len, &out->host, why, why_len) < 0)
		return reply_error(d, node, why, why_len);
	if (http_get(d, running, &status, why, why_len) < 0)
		return -1;
	if (xend_parse_domains(d->body, d->len, out, why, why_len) < 0)
		return reply_error(d, running, why, why_len);
	/*
	 * The managed domains; a xend that cannot list them by state (an
	 * error status) has none to tell.
	 */
	if (http_get(d, halted, &status, why, why_len) == 0) {
		if (xend_parse_domains(d->body, d->len, out, why, why_len) < 0)
			return reply_error(d, halted, why, why_len);
	} else if (status == 0) {
		return -1;	/* the connection failed, not the request */
	}
	why[0] = '\0';
	for (i = 0; i < out->n_domains; i++)
		out->domains[i]->sources = XEN_SRC_XEND;
	out->sources |= XEN_SRC_XEND;
	/* shrink a buffer a huge reply left behind */
	if (d->cap > 1024 * 1024) {
		free(d->body);
		d->body = NULL;
		d->len = d->cap = 0;
	}
	return 0;
}

static uint64_t xend_requests(void *priv)
{
	return ((struct xend_drv *)priv)->requests;
}

/*
 * xend is gone since Xen 4.5: look for it only where it is configured or
 * its unix socket exists, so modern hosts do not report it missing.
 */
static bool xend_wanted(const struct xen_driver_env *env)
{
	return env->xend_url || access(XEND_DEFAULT_URL + strlen("unix:"), F_OK) == 0;
}

const struct xen_driver_ops xen_xend_driver = {
	.name = "xend",
	.source = XEN_SRC_XEND,
	.needs_privilege = false,
	.own_thread = true,
	.wanted = xend_wanted,
	.open = xend_open,
	.close = xend_close,
	.gather = xend_gather,
	.requests = xend_requests,
};

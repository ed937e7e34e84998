vcl 4.1;

# Varnish in front of feedpub's server, with feed deltas (RFC 3229) for
# the readers that ask for them. The deltas test writes the origin's
# address in place of ORIGIN_HOST and ORIGIN_PORT.

backend default {
    .host = "ORIGIN_HOST";
    .port = "ORIGIN_PORT";
}

sub vcl_recv {
    # A reader that sends A-IM wants an answer made for the version its
    # own If-None-Match names. On a miss Varnish replaces the reader's
    # If-None-Match with its own (or drops it), so the origin would never
    # see which version the reader has; and a delta (226, no-store) is
    # never a cache's to keep or to give another reader. Such requests go
    # to the origin as they came.
    if (req.http.A-IM) {
        return (pass);
    }
    # Everything else: the built-in VCL (cache by URL and
    # Accept-Encoding, as the origin's Vary says).
}

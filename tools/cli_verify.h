/*
 * kvstrail verify: check a local copy of a CloudTrail archive offline
 * (docs/verify.md): log files against the SHA-256 their digest lists,
 * digests against the chain and their RSA signatures.
 */
#ifndef KVSTRAIL_CLI_VERIFY_H
#define KVSTRAIL_CLI_VERIFY_H

/* `kvstrail verify [OPTIONS] PATH...`: argv[0] is "verify". Returns the
 * exit status: 0 every file and digest valid, 1 a problem, 2 some input
 * could not be read, 64 usage error. */
int cli_verify_main(int argc, char **argv);

#endif /* KVSTRAIL_CLI_VERIFY_H */

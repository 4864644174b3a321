/**
 * @arctalk/protocol, `"node"` entry: the same API as the default entry, with
 * SHA-256, HMAC-SHA256 and HKDF done by node:crypto (OpenSSL) instead of
 * @noble/hashes — same bytes, several times faster on bulk DATA. The default
 * entry (index.ts) stays free of `node:` imports for browsers.
 * @module
 */
import { _useHashBackend } from './_hash';
import { _nodeHashes } from './_hash-node';

_useHashBackend(_nodeHashes);

export * from './index';

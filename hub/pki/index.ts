export { ensurePki, CA_VALIDITY_DAYS, SERVER_VALIDITY_DAYS, SERVER_RENEW_BEFORE_DAYS, type Pki, type PkiOptions } from './pki.js';
export { certificateFingerprint, derToPem, issueCertificate, type CertificateRequest, type DistinguishedName } from './x509.js';
export { serverAltNames, currentHostIdentity, isValidAltName, type HostIdentity } from './sans.js';
export * from './errors.js';
export { startCertRenewal, RENEWAL_CHECK_INTERVAL_MS, type CertRenewal, type CertRenewalOptions, type ServerTls } from './renewal.js';
export { signBundle } from './bundle-signing.js';

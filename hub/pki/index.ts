export { ensurePki, CA_VALIDITY_DAYS, SERVER_VALIDITY_DAYS, SERVER_RENEW_BEFORE_DAYS, type Pki, type PkiOptions } from './pki.js';
export { certificateFingerprint, derToPem, issueCertificate, type CertificateRequest, type DistinguishedName } from './x509.js';
export { serverAltNames, currentHostIdentity, isValidAltName, type HostIdentity } from './sans.js';
export * from './errors.js';

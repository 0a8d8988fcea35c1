export { createBundleCatalogue, type BundleCatalogue, type BundleCatalogueOptions, type LocatedBundle } from './bundle-catalogue.js';
export { packageRoot, shippedBundleDir, shippedInstallScript } from './shipped-files.js';
export * from './errors.js';

export { createNodeLeases, type NodeLease, type NodeLeases } from './node-leases.js';

/**
 * The oldest agent this hub supports: the hub refuses to roll a fleet to an older one (the AgentUpgrade schema
 * refuses it at the API, hub/controllers/agent-upgrade does not push it, and the agent refuses to install it).
 * Versions compare as protocol/agent-bundle.ts's compareBundleVersions (SemVer precedence).
 */
import { BUNDLE_VERSION_RE, compareBundleVersions } from './agent-bundle.js';

export const MIN_SUPPORTED_AGENT_VERSION = '0.1.0';

export const isAgentVersion = (text: string): boolean => BUNDLE_VERSION_RE.test(text);

/** True for a well-formed version not older than MIN_SUPPORTED_AGENT_VERSION. */
export const isSupportedAgentVersion = (version: string): boolean => isAgentVersion(version) && compareBundleVersions(version, MIN_SUPPORTED_AGENT_VERSION) >= 0;

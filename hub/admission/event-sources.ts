/**
 * Events are evidence: `kubectl describe` shows their source, and people act on what "kubelet" or
 * "drover-agent" said. So only the components themselves (which record through the hub's recorder,
 * not the API) and admin tokens may write an Event whose source.component or reportingComponent names
 * one (protocol/well-known.ts COMPONENT_EVENT_SOURCES, and every name starting with "drover-").
 */
import type { Event } from '../../protocol/objects/event.js';
import { COMPONENT_EVENT_SOURCE_PREFIX, COMPONENT_EVENT_SOURCES } from '../../protocol/well-known.js';

export function isComponentEventSource(name: string | undefined): boolean {
  if (name === undefined || name === '') return false;
  return COMPONENT_EVENT_SOURCES.includes(name) || name.startsWith(COMPONENT_EVENT_SOURCE_PREFIX);
}

/** The component an Event claims to come from, if it names one. */
export function claimedComponent(event: Pick<Event, 'source' | 'reportingComponent'>): string | undefined {
  return [event.source?.component, event.reportingComponent].find(isComponentEventSource);
}

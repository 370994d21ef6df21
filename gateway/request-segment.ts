// A request's segment under its route's segment rule (RouteSegmentation, lib/segment-rule.ts): a
// header's first value, a tag in the body's `metadata`, or the language of the last user message.
// The rule is prepared once per route version (RouteTable), so a request of a segmented route pays
// one call, and one of a route without segmentation a null check (data-plane.ts).
import type { IncomingHttpHeaders } from 'node:http';
import { segmentName, type SegmentRule } from '../lib/segment-rule';
import { metadataTag } from './cohort-probe';
import { firstHeaderValue } from './http-io';
import { requestLanguage } from './request-language';

/** The request's segment name (segmentName: trimmed, at most 64 characters), or undefined when it has none. */
export type RequestSegmenter = (headers: IncomingHttpHeaders, body: Record<string, unknown>) => string | undefined;

export function requestSegmenter(rule: SegmentRule): RequestSegmenter {
  if ('header' in rule) {
    const { header } = rule;
    return (headers) => segmentName(firstHeaderValue(headers, header));
  }
  if ('metadata' in rule) {
    const { metadata } = rule;
    return (_headers, body) => segmentName(metadataTag(body, metadata));
  }
  return (_headers, body) => segmentName(requestLanguage(body));
}

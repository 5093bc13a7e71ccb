'use client';

import { SegmentError } from '@/components/ui/segment-error';

export default function OverviewError(props: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return <SegmentError title="The streams could not be loaded" {...props} />;
}

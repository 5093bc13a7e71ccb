'use client';

import { SegmentError } from '@/components/ui/segment-error';

export default function StreamError(props: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return <SegmentError title="This stream could not be loaded" {...props} />;
}

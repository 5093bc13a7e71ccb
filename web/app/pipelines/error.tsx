'use client';

import { SegmentError } from '@/components/ui/segment-error';

export default function PipelinesError(props: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return <SegmentError title="Pipeline health could not be loaded" {...props} />;
}

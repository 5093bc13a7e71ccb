import Link from 'next/link';
import { EmptyState } from '@/components/ui/empty-state';

export default function StreamNotFound() {
  return (
    <EmptyState title="No such stream">
      <p>
        This stream is not in the schema your role can read. It may not be tracked yet, or its name
        changed.{' '}
        <Link href="/" className="text-blue-800 underline dark:text-blue-300">
          See every stream
        </Link>
        .
      </p>
    </EmptyState>
  );
}

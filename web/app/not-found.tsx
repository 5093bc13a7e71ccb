import Link from 'next/link';
import { EmptyState } from '@/components/ui/empty-state';

export default function NotFound() {
  return (
    <EmptyState title="Page not found">
      <p>
        <Link href="/" className="text-blue-800 underline dark:text-blue-300">
          Back to the streams
        </Link>
      </p>
    </EmptyState>
  );
}

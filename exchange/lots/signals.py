"""Events other parts of the platform listen to (matching; impact).

Both are sent after the transaction that caused them has committed.
"""

from django.dispatch import Signal

# sender=Lot, lot=<Lot>
lot_published = Signal()
# sender=Lot, lot=<Lot>, tier=<Tier value that just opened>
lot_tier_opened = Signal()
# sender=Lot, lot=<Lot> (closed after it expired: close_outcome and close_quantity set)
lot_closed = Signal()

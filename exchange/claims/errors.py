from enum import StrEnum


class ClaimError(StrEnum):
    OWN_LOT = "own_lot"
    LOT_NOT_OPEN = "lot_not_open"
    NOT_ELIGIBLE_YET = "tier_not_open"
    NOT_ENOUGH_LEFT = "not_enough_left"
    WRONG_STATUS = "claim_wrong_status"
    NOT_YOURS = "claim_not_yours"
    REASON_REQUIRED = "reason_required"
    PICKUP_IN_PAST = "pickup_in_past"
    BEFORE_PICKUP = "before_pickup_slot"
    MORE_THAN_APPROVED = "more_than_approved"
    LIVE_CLAIMS = "lot_has_live_claims"
    INVALID_QUANTITY = "invalid_quantity"
    NO_DOCUMENT = "no_document"

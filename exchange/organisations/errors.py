from enum import StrEnum


class OrganisationError(StrEnum):
    ENTERPRISE_NUMBER_TAKEN = "enterprise_number_taken"
    ALREADY_VERIFIED = "already_verified"
    VERIFIED_FACT_LOCKED = "verified_fact_locked"
    ACCREDITATION_INCOMPLETE = "accreditation_incomplete"
    REGION_MISMATCH = "region_mismatch"
    UNKNOWN_USER = "unknown_user"
    ALREADY_MEMBER = "already_member"
    LAST_ADMIN = "last_admin"
    SITE_IN_USE = "site_in_use"

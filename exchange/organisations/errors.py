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
    NOT_FOUND = "not_found"
    ACCREDITATION_NOT_ALLOWED = "accreditation_not_allowed"
    INVALID_ROLE = "invalid_role"
    POSTCODE_INVALID = "postcode_invalid"
    ENTERPRISE_NUMBER_FORMAT = "enterprise_number_format"
    ENTERPRISE_NUMBER_PREFIX = "enterprise_number_prefix"
    ENTERPRISE_NUMBER_CHECKSUM = "enterprise_number_checksum"
    OUTSIDE_BELGIUM = "outside_belgium"
    NAME_TAKEN = "name_taken"
    NO_RENAME_REQUESTED = "no_rename_requested"
    PHONE_INVALID = "phone_invalid"

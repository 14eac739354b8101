import pytest

from customers.validators import complete_credit_code, credit_code_check_char, credit_code_problem, is_valid_credit_code


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",   # published examples of valid codes
    "91110000600037341L",
    "91310000132201718P",
    " 91110000600037341l ",  # spaces and lower case are normalised
])
def test_valid_codes(code):
    assert is_valid_credit_code(code)


@pytest.mark.parametrize("code, problem", [
    ("91350100M000100Y44", "check_digit"),
    ("91110000600037341A", "check_digit"),
    ("9111000060003734", "length"),
    ("91110000600037341LX", "length"),
    ("", "length"),
    (None, "length"),
    ("9111000060003734IL", "charset"),   # I is not used
    ("911100006000373ZZL", "charset"),
    ("91AB0000600037341L", "region"),
])
def test_invalid_codes(code, problem):
    assert credit_code_problem(code) == problem
    assert not is_valid_credit_code(code)


def test_check_char_is_the_gb32100_formula():
    # 31 - (sum of index × weight) mod 31, with 31 → 0.
    assert credit_code_check_char("91350100M000100Y4") == "3"
    code = complete_credit_code("91440300MA5DEF789")
    assert len(code) == 18 and is_valid_credit_code(code)


def test_every_single_character_change_is_detected():
    code = "91110000600037341L"
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(17):
        for char in charset:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1:]
            if changed[2:8].isdigit():
                assert not is_valid_credit_code(changed), changed

from services.rag.fusion import reciprocal_rank_fusion


def test_items_ranked_well_by_both_lists_win() -> None:
    fused = reciprocal_rank_fusion([(1.0, ["a", "b", "c"]), (1.0, ["b", "c", "a"])], k=60)
    assert [item for item, _ in fused] == ["b", "a", "c"]


def test_weights_favour_the_stronger_list() -> None:
    fused = reciprocal_rank_fusion([(1.0, ["d1", "d2"]), (0.3, ["l1", "l2"])], k=60)
    assert [item for item, _ in fused] == ["d1", "d2", "l1", "l2"]
    both = reciprocal_rank_fusion([(1.0, ["d1", "shared"]), (0.3, ["l1", "shared"])], k=60)
    assert both[0][0] == "shared"


def test_scores_follow_the_formula_and_ties_keep_first_seen_order() -> None:
    fused = reciprocal_rank_fusion([(1.0, ["x"]), (1.0, ["y"])], k=10)
    assert fused == [("x", 1 / 11), ("y", 1 / 11)]
    assert reciprocal_rank_fusion([(1.0, [])]) == []

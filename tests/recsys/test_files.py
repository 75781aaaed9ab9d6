"""Interaction files: HetRec, MovieLens, generic CSV, Last.fm scrobbles."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from recsys.errors import InteractionsError
from recsys.files import read_interactions


def write(path: Path, text: str, newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def test_hetrec_with_header_crlf_and_padded_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path / "user_artists.dat",
        "userID\tartistID\tweight\n2\t51\t13883\n2\t65  \t10\n10\t51\t7\n",
        "\r\n",
    )
    data = read_interactions(tmp_path, "hetrec")  # a folder finds user_artists.dat
    assert len(data) == 3 and data.timestamps is None
    assert data.user_ids.ids.tolist() == [2, 10]  # numeric ids sort as numbers
    assert data.item_ids.ids.tolist() == [51, 65]
    assert data.matrix().toarray().tolist() == [[13883, 10], [7, 0]]
    assert read_interactions(path, "hetrec").n_users == 2


def test_movielens_ratings_are_implicit_interactions(tmp_path: Path) -> None:
    write(
        tmp_path / "ratings.csv",
        "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,0.5,964981247\n",
    )
    data = read_interactions(tmp_path / "ratings.csv", "movielens")
    np.testing.assert_array_equal(data.weights, [1.0, 1.0])
    assert data.timestamps is not None and data.timestamps.tolist() == [964982703, 964981247]


def test_generic_csv_with_iso_and_millisecond_times(tmp_path: Path) -> None:
    path = write(
        tmp_path / "plays.csv",
        "user,item,weight,ts\nu1,song a,2.5,2024-05-01T10:00:00Z\nu2,song a,1,1714557600000\n",
    )
    data = read_interactions(path, "csv")
    assert data.timestamps is not None
    assert data.timestamps.tolist() == [1714557600.0, 1714557600.0]
    assert data.weights.tolist() == [2.5, 1.0]


def test_lastfm_scrobbles_know_their_artists(tmp_path: Path) -> None:
    path = write(
        tmp_path / "scrobbles.csv",
        '"uts","utc_time","artist","artist_mbid","album","album_mbid","track","track_mbid"\n'
        '"1720688852","11 Jul 2024, 09:07","The Cure","","Faith","","Primary",""\n'
        '"1720688656","11 Jul 2024, 09:04","the cure","","Faith","","PRIMARY",""\n'
        '"1720688000","11 Jul 2024, 08:53","Agnes Obel","","Aventine","","Fuel to Fire",""\n',
        "\r\n",
    )
    data = read_interactions(path, "lastfm")
    assert data.n_users == 1 and data.n_items == 2
    artists = data.to_artists()
    assert artists.item_ids.ids.tolist() == ["agnes obel", "the cure"]
    assert artists.matrix().toarray().tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        ("hetrec", "2\t51\n", "line 1: expected 3 tab-separated fields"),
        ("hetrec", "2\t51\t1\n3\t5\tlots\n", "line 2: weight 'lots' is not a number"),
        ("csv", "u,i,1,2024-05-01T10:00:00\n", "has no UTC offset"),
        ("csv", "u,i,1\nu,i,1,5\n", "line 2: expected user,item,weight[,ts]"),
        ("movielens", "userId,movieId,rating,timestamp\n", "no interactions"),
        ("lastfm", "a,b\n", "not a scrobbles export"),
        ("csv", "u,i,-1\n", "not negative"),
    ],
)
def test_malformed_files_name_the_problem(
    tmp_path: Path, fmt: str, text: str, message: str
) -> None:
    path = write(tmp_path / "data.txt", text)
    with pytest.raises(InteractionsError, match=re.escape(message)):
        read_interactions(path, fmt)


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InteractionsError, match="no such file"):
        read_interactions(tmp_path / "nope.csv", "csv")
    with pytest.raises(InteractionsError, match="unknown format"):
        read_interactions(tmp_path, "parquet")
